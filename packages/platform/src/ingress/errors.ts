/**
 * @module ingress/errors
 * Why an end-user token was turned away (`reason` is safe to show: it never quotes the token),
 * and why a provider's signing keys could not be had.
 */
export class TokenRejected extends Error {
  override name = "TokenRejected";
  constructor(readonly reason: string) {
    super(reason);
  }
}

export class SigningKeysUnavailable extends Error {
  override name = "SigningKeysUnavailable";
}
