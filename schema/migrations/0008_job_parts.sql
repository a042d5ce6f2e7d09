CREATE TABLE `job_parts` (
	`job_id` text NOT NULL,
	`n` integer NOT NULL,
	`key` text NOT NULL,
	`size` integer NOT NULL,
	`filename` text NOT NULL,
	`sha256` text NOT NULL,
	`created_at` text NOT NULL,
	PRIMARY KEY(`job_id`, `n`),
	FOREIGN KEY (`job_id`) REFERENCES `jobs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
ALTER TABLE `jobs` ADD `part_count` integer;--> statement-breakpoint
ALTER TABLE `jobs` ADD `parts_received` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `jobs` ADD `upload_expires_at` text;