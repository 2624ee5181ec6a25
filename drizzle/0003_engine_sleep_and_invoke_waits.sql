ALTER TABLE "engine_waits" ADD COLUMN "kind" text DEFAULT 'event' NOT NULL;--> statement-breakpoint
ALTER TABLE "engine_waits" ADD COLUMN "invoked_run_id" text;--> statement-breakpoint
CREATE INDEX "engine_waits_invoked_idx" ON "engine_waits" USING btree ("invoked_run_id");