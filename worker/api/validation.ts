import { ApiError } from "./errors";

/** Turns a failed schema check into the API's error shape, listing every offending field. */
export function validationHook(
  result: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } },
): void {
  if (result.success || !result.error) return;
  const details = result.error.issues.map((issue) => ({
    field: issue.path.map(String).join(".") || "(body)",
    message: issue.message,
  }));
  const summary = details.map((d) => `${d.field}: ${d.message}`).join("; ");
  throw new ApiError(400, "invalid_request", `The request is invalid: ${summary}.`, details);
}
