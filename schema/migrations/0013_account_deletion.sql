ALTER TABLE `users` ADD `deleting_since` text;--> statement-breakpoint
CREATE INDEX `users_deleting` ON `users` (`deleting_since`);