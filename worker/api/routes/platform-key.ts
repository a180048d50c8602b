/**
 * Platform key rotation: `POST /api/platform/rotate-key` rewraps the caller's workspace's
 * data keys from PLATFORM_KEY_PREVIOUS to PLATFORM_KEY, a bounded number per call.
 *
 * Any workspace administrator may call it, a playground visitor in its own workspace
 * included. That is safe: the call reads and writes only rows of the caller's workspace,
 * returns no key material and changes no secret value. So the most a visitor can do is
 * finish its own workspace's part of a rotation early.
 */
import { OpenAPIHono, z } from "@hono/zod-openapi";
import { auditActor } from "../../access/authorize";
import { IntegrityError, type PlatformKeyring } from "../../crypto/envelope";
import { rewrapWorkspaceDataKeys, type RotationKeys } from "../../secrets/rotation";
import { MAX_DATA_KEYS_REWRAPPED_PER_REQUEST } from "../../limits";
import type { HonoEnv } from "../context";
import { ApiError } from "../errors";
import { requirePlatformKey } from "../platform-key";
import { secureRoute } from "../secure-route";
import { validationHook } from "../validation";

const RotationResultSchema = z
  .object({
    rewrapped: z.number().int().openapi({ description: "Data keys this call rewrapped under PLATFORM_KEY." }),
    remaining: z.number().int().openapi({
      description: "Data keys of the workspace still wrapped by PLATFORM_KEY_PREVIOUS; call again until it is 0.",
    }),
    current_key_id: z.string().openapi({ description: "The key id of PLATFORM_KEY.", example: "pk_3f1c0a9b6d2e4f57" }),
    previous_key_id: z.string().openapi({ description: "The key id of PLATFORM_KEY_PREVIOUS.", example: "pk_81d4e0c2a7b95f36" }),
  })
  .openapi("PlatformKeyRotation");

const ErrorBodySchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});

function errorContent(description: string) {
  return { description, content: { "application/json": { schema: ErrorBodySchema } } };
}

const rotateKey = secureRoute("workspace:admin", null, {
  method: "post",
  path: "/platform/rotate-key",
  summary: "Rewrap the workspace's data keys under the current platform key",
  description:
    `Rewraps up to ${MAX_DATA_KEYS_REWRAPPED_PER_REQUEST} data keys of the caller's workspace that ` +
    "PLATFORM_KEY_PREVIOUS wrapped, under PLATFORM_KEY, without touching secret values. Repeat the call " +
    "until remaining is 0; a call with nothing left to rewrap changes nothing.",
  responses: {
    200: { description: "What this call rewrapped.", content: { "application/json": { schema: RotationResultSchema } } },
    409: errorContent(
      "PLATFORM_KEY_PREVIOUS is not set or contains the same key as PLATFORM_KEY, or a data key failed to unwrap.",
    ),
    500: errorContent("PLATFORM_KEY is missing or malformed, or PLATFORM_KEY_PREVIOUS is malformed."),
  },
});

export function platformKeyRoutes() {
  const app = new OpenAPIHono<HonoEnv>({ defaultHook: validationHook });

  app.openapi(rotateKey, async (c) => {
    const requestId = c.get("requestId");
    const principal = c.get("principal");
    const keys = rotationKeys(await requirePlatformKey(c.env, requestId));

    let result;
    try {
      result = await rewrapWorkspaceDataKeys(c.get("db"), keys, principal.workspaceId, {
        actor: auditActor(principal),
        requestId,
      });
    } catch (error) {
      if (!(error instanceof IntegrityError)) throw error;
      console.error(JSON.stringify({ event: "platform_key_rotation_failed", requestId, workspaceId: principal.workspaceId, message: error.message }));
      throw new ApiError(
        409,
        "data_key_integrity",
        `${error.message} Nothing was rewrapped: delete that owner's secrets and upload them again, then retry.`,
      );
    }

    // Counts and key ids only: a key id is a fingerprint, not key material.
    console.log(
      JSON.stringify({
        event: "platform_key_rotated",
        requestId,
        workspaceId: principal.workspaceId,
        previousKeyId: keys.previous.id,
        currentKeyId: keys.current.id,
        ...result,
      }),
    );
    return c.json({ ...result, current_key_id: keys.current.id, previous_key_id: keys.previous.id }, 200);
  });

  return app;
}

/** Returns both keys of the rotation, or raises 409 naming the secret to set. */
function rotationKeys(keyring: PlatformKeyring): RotationKeys {
  const { current, previous } = keyring;
  if (previous === null) {
    throw new ApiError(
      409,
      "no_previous_platform_key",
      "PLATFORM_KEY_PREVIOUS is not set, so there is no key to rotate from: set it to the retired key with " +
        "`wrangler secret put PLATFORM_KEY_PREVIOUS`, set PLATFORM_KEY to a new key, then call this route again.",
    );
  }
  if (previous.id === current.id) {
    throw new ApiError(
      409,
      "same_platform_key",
      `PLATFORM_KEY_PREVIOUS contains the same key as PLATFORM_KEY (${current.id}): set PLATFORM_KEY to a new key ` +
        "with `wrangler secret put PLATFORM_KEY`, then call this route again.",
    );
  }
  return { current, previous };
}
