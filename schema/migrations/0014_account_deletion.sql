CREATE TABLE `closed_ledgers` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`account` text NOT NULL,
	`kind` text NOT NULL,
	`amount` integer NOT NULL,
	`balance_after` integer NOT NULL,
	`reserved_after` integer NOT NULL,
	`at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `closed_ledgers_account` ON `closed_ledgers` (`account`);--> statement-breakpoint
CREATE INDEX `closed_ledgers_at` ON `closed_ledgers` (`at`);--> statement-breakpoint
ALTER TABLE `users` ADD `deleting_since` text;--> statement-breakpoint
CREATE INDEX `users_deleting` ON `users` (`deleting_since`);