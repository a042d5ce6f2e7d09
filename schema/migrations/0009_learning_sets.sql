CREATE TABLE `learning_sets` (
	`id` text PRIMARY KEY NOT NULL,
	`owner_id` text NOT NULL,
	`status` text NOT NULL,
	`mode` text NOT NULL,
	`job_ids` text NOT NULL,
	`wordlist_id` text NOT NULL,
	`wordlist_name` text NOT NULL,
	`options` text NOT NULL,
	`progress_percent` integer DEFAULT 0 NOT NULL,
	`list_words` integer,
	`found_words` integer,
	`covered_words` integer,
	`eligible_sentences` integer,
	`sentence_count` integer,
	`uncovered` text,
	`optimal` integer,
	`lower_bound` integer,
	`error_code` text,
	`error_message` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`created_at` text NOT NULL,
	`completed_at` text,
	FOREIGN KEY (`owner_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `learning_sets_owner` ON `learning_sets` (`owner_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `wordlists` (
	`id` text PRIMARY KEY NOT NULL,
	`owner_id` text NOT NULL,
	`name` text NOT NULL,
	`entries` text NOT NULL,
	`entry_count` integer NOT NULL,
	`unknown_count` integer NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`owner_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `wordlists_owner` ON `wordlists` (`owner_id`,`created_at`);