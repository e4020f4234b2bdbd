// The E2E launcher's environment (contract.md, "E2E launcher"). Each value is
// read when first used, and a missing one fails that test with the
// variable's name: these tests only make sense against a running gateway and
// mesh.

function required(name) {
  const value = process.env[name];
  if (value === undefined || value === "") {
    throw new Error(
      `${name} is not set: web/test/gateway/*.test.mjs run under the ` +
        `gateway E2E launcher (tests/integration/gateway_e2e_*), which ` +
        `starts the mesh and the gateway and sets it`,
    );
  }
  return value;
}

function number(name) {
  const value = Number(required(name));
  if (!Number.isFinite(value)) throw new Error(`${name} is not a number`);
  return value;
}

export const env = {
  /** e.g. http://127.0.0.1:8080, no trailing slash */
  get gatewayUrl() {
    return required("GATEWAY_URL").replace(/\/+$/, "");
  },
  get gatewayMetricsUrl() {
    return required("GATEWAY_METRICS_URL");
  },
  /** @returns {Record<string, string>} backend name -> its /metrics URL */
  get metricsUrls() {
    return JSON.parse(required("METRICS_URLS"));
  },
  get hs256SecretFile() {
    return required("JWT_HS256_SECRET_FILE");
  },
  get issuer() {
    return required("JWT_ISSUER");
  },
  get audience() {
    return required("JWT_AUDIENCE");
  },
  get jwksFile() {
    return required("JWKS_FILE");
  },
  get allowedOrigin() {
    return required("ALLOWED_ORIGIN");
  },
  get maxRequestBytes() {
    return number("MAX_REQUEST_BYTES");
  },
  get headerTimeoutMs() {
    return number("HEADER_TIMEOUT_MS");
  },
  get rateLimitedMethod() {
    return required("RATE_LIMITED_METHOD");
  },
  get rateLimitRate() {
    return number("RATE_LIMIT_RATE");
  },
  get rateLimitBurst() {
    return number("RATE_LIMIT_BURST");
  },
  get chromium() {
    return required("CHROMIUM");
  },
  get staticSymlinkName() {
    return required("STATIC_SYMLINK_NAME");
  },
  /** POST /dev/token of the gateway (on under the launcher) */
  get devTokenUrl() {
    return required("DEV_TOKEN_URL");
  },
  /** the gateway's --queue_place_ttl_s */
  get queuePlaceTtlS() {
    return number("QUEUE_PLACE_TTL_S");
  },
  /** host and port of GATEWAY_URL, for raw sockets */
  get gatewayAddress() {
    const url = new URL(this.gatewayUrl);
    return { host: url.hostname, port: Number(url.port || 80) };
  },
};
