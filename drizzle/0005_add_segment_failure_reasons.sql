ALTER TABLE "segments" ADD COLUMN "image_error" text;--> statement-breakpoint
ALTER TABLE "segments" ADD COLUMN "clip_error" text;