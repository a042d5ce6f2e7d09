ALTER TABLE `jobs` ADD `book_page_count` integer;--> statement-breakpoint
ALTER TABLE `jobs` ADD `source_job_id` text;--> statement-breakpoint
ALTER TABLE `jobs` ADD `rerun_of` text;--> statement-breakpoint
ALTER TABLE `jobs` ADD `source_sha256` text;--> statement-breakpoint
ALTER TABLE `jobs` ADD `same_source_as` text;--> statement-breakpoint
CREATE INDEX `jobs_owner_source_sha` ON `jobs` (`owner_id`,`source_sha256`);--> statement-breakpoint
CREATE INDEX `jobs_source` ON `jobs` (`source_job_id`);