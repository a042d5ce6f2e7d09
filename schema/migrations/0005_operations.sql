CREATE TABLE `audit_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` text NOT NULL,
	`actor_id` text NOT NULL,
	`actor_email` text NOT NULL,
	`action` text NOT NULL,
	`target_type` text NOT NULL,
	`target_id` text,
	`detail` text
);
--> statement-breakpoint
CREATE INDEX `audit_at` ON `audit_log` (`at`);--> statement-breakpoint
CREATE TABLE `chunk_attempts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`job_id` text NOT NULL,
	`chunk` integer NOT NULL,
	`attempt` integer NOT NULL,
	`engine` text NOT NULL,
	`model` text,
	`pages` integer NOT NULL,
	`started_at` text NOT NULL,
	`latency_ms` integer NOT NULL,
	`tokens` integer NOT NULL,
	`outcome` text NOT NULL,
	`error_class` text,
	`error_message` text
);
--> statement-breakpoint
CREATE INDEX `attempts_job` ON `chunk_attempts` (`job_id`,`chunk`);--> statement-breakpoint
CREATE INDEX `attempts_started` ON `chunk_attempts` (`started_at`);--> statement-breakpoint
CREATE TABLE `dead_letters` (
	`id` text PRIMARY KEY NOT NULL,
	`queue` text NOT NULL,
	`body` text NOT NULL,
	`job_id` text,
	`chunk` integer,
	`error_class` text NOT NULL,
	`received_at` text NOT NULL,
	`replayed_at` text
);
--> statement-breakpoint
CREATE INDEX `dead_letters_received` ON `dead_letters` (`received_at`);--> statement-breakpoint
CREATE TABLE `service_state` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`updated_at` text NOT NULL
);
