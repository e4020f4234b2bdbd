// Any error of a call as words for the page: a ConnectError's ErrorInfo and
// RetryInfo (read with connect's findDetails and the generated google.rpc
// schemas) go through logic/reasons.ts; anything else becomes a generic
// sentence. Raw status text is never shown.
import { ConnectError } from "@connectrpc/connect";

import { ErrorInfoSchema, RetryInfoSchema } from "../../src/gen/google/rpc/error_details_pb.js";
import { describeOperatorRefusal } from "./logic/opsreasons.js";
import { describeRefusal, type Refusal } from "./logic/reasons.js";

export function refusalOf(error: unknown): Refusal | undefined {
  if (!(error instanceof ConnectError)) return undefined;
  const info = error.findDetails(ErrorInfoSchema)[0];
  const delay = error.findDetails(RetryInfoSchema)[0]?.retryDelay;
  return {
    code: error.code,
    reason: info?.reason ?? "",
    metadata: info?.metadata,
    retryMs: delay ? Number(delay.seconds) * 1000 + delay.nanos / 1e6 : undefined,
  };
}

export function errorText(error: unknown): string {
  const refusal = refusalOf(error);
  if (refusal) return describeRefusal(refusal);
  if (error instanceof Error && error.message && !(error instanceof TypeError))
    return error.message;
  return "Something went wrong: the server could not be reached.";
}

export function reasonOf(error: unknown): string {
  return refusalOf(error)?.reason ?? "";
}

/** errorText for the operator console (logic/opsreasons.ts). */
export function operatorErrorText(error: unknown): string {
  const refusal = refusalOf(error);
  if (refusal && error instanceof ConnectError) {
    return describeOperatorRefusal(refusal, error.rawMessage);
  }
  return errorText(error);
}
