/** Every Inngest function Kadr serves. */
import { cleanUpJob } from "./clean-up-job";
import { deliverVideo } from "./deliver-video";
import { extendVideoFunction } from "./extend-video";
import { produceVideo } from "./produce-video";
import { regenerateSegment } from "./regenerate-segment";

export const functions = [produceVideo, regenerateSegment, deliverVideo, extendVideoFunction, cleanUpJob];
