ALTER TABLE `jobs` ADD `estimated_millicredits` integer;--> statement-breakpoint
ALTER TABLE `jobs` ADD `actual_millicredits` integer;--> statement-breakpoint
ALTER TABLE `jobs` ADD `pricing_version` text;--> statement-breakpoint
ALTER TABLE `jobs` ADD `pricing_rate` real;--> statement-breakpoint
ALTER TABLE `jobs` ADD `reservation_expires_at` text;--> statement-breakpoint
CREATE INDEX `jobs_owner_storage` ON `jobs` (`owner_id`,`uploads_expired_at`);