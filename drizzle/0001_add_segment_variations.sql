ALTER TABLE "segments" ADD COLUMN "image_variation" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "segments" ADD COLUMN "clip_variation" integer DEFAULT 0 NOT NULL;