/** Every Inngest function Kadr serves. */
import { produceVideo } from "./produce-video";

export const functions = [produceVideo];
