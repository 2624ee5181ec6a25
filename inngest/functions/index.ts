/** Every Inngest function Kadr serves. */
import { produceVideo } from "./produce-video";
import { regenerateSegment } from "./regenerate-segment";

export const functions = [produceVideo, regenerateSegment];
