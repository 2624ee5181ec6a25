/**
 * `POST /api/v1/jobs/:id/segments/:index/image` with `multipart/form-data` and an `image` file
 * field (PNG, JPEG or WebP, ≤ 10 MB) → 200 `{ segment }`: the image, cropped to the job's frame,
 * replaces the segment's image at the images gate. 413 over the size limit, 400 for other formats,
 * 409 outside the images gate.
 */
import { readMultipartFile, segmentIndexParam } from "@/lib/http/request";
import { withRoute } from "@/lib/http/route";
import { MAX_UPLOAD_BYTES, uploadSegmentImage } from "@/lib/studio/editing";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** Stores the uploaded image as the segment's image. */
export const POST = withRoute<{ id: string; index: string }>(
  async ({ request, deps, store, ownerId, params }) => {
    const index = segmentIndexParam(params.index);
    const image = await readMultipartFile(request, "image", MAX_UPLOAD_BYTES);
    const segment = await uploadSegmentImage(
      { ...deps, store },
      params.id,
      index,
      image,
      `user:${ownerId}`,
      ownerId,
    );
    return Response.json({ segment });
  },
);
