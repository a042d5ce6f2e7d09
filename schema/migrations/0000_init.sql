CREATE TABLE `jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`owner_id` text NOT NULL,
	`status` text NOT NULL,
	`progress_percent` integer DEFAULT 0 NOT NULL,
	`current_step` text DEFAULT 'queued' NOT NULL,
	`total_chunks` integer DEFAULT 0 NOT NULL,
	`processed_chunks` integer DEFAULT 0 NOT NULL,
	`failed_chunks` integer DEFAULT 0 NOT NULL,
	`original_filename` text NOT NULL,
	`file_size` integer DEFAULT 0 NOT NULL,
	`page_count` integer,
	`settings` text NOT NULL,
	`engine` text NOT NULL,
	`model` text,
	`estimated_tokens` integer,
	`actual_tokens` integer DEFAULT 0 NOT NULL,
	`sentence_count` integer,
	`failed_pages` text,
	`error_code` text,
	`error_message` text,
	`created_at` text NOT NULL,
	`started_at` text,
	`completed_at` text,
	`processing_time_seconds` integer,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`owner_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `jobs_owner_created` ON `jobs` (`owner_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `jobs_status` ON `jobs` (`status`);--> statement-breakpoint
CREATE TABLE `users` (
	`id` text PRIMARY KEY NOT NULL,
	`email` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_email_unique` ON `users` (`email`);