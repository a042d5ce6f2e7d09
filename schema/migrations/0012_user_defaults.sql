CREATE TABLE `user_defaults` (
	`user_id` text PRIMARY KEY NOT NULL,
	`defaults` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
