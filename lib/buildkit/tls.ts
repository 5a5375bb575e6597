/**
 * Mutual TLS with buildkitd as buildctl does it, and its failures told
 * plainly. The client's certificate and key are checked here before any
 * connection (dates, the key matching the certificate), since the daemon
 * can only hang up on a bad one. A daemon named by IP address is verified
 * by the certificate's IP SAN: Node refuses an IP as the TLS server name
 * (SNI), so the name sent is a placeholder and the identity check is ours.
 */
import { checkServerIdentity, connect, type PeerCertificate } from "node:tls";
import { readFileSync } from "node:fs";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { isIP } from "node:net";
import { UserError } from "../errors.ts";

/** The TLS server name sent to a daemon addressed by IP (never matched: see {@link ipIdentity}). */
export const IP_SNI_PLACEHOLDER = "buildkitd.invalid";

/** The host of `host:port` (`[::1]:1234` gives `::1`). */
export function hostOf(hostPort: string): string {
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(hostPort);
  if (m) return m[1];
  const i = hostPort.lastIndexOf(":");
  return i > 0 && hostPort.indexOf(":") === i ? hostPort.slice(0, i) : hostPort;
}

/** Whether `host` is an IP address (then verified by IP SAN, with no SNI). */
export function isIpHost(host: string): boolean {
  return isIP(host) !== 0;
}

/** A checkServerIdentity that verifies `ip` against the certificate's IP SANs. */
export function ipIdentity(ip: string): (host: string, cert: PeerCertificate) => Error | undefined {
  return (_host, cert) => {
    if (!checkServerIdentity(ip, cert)) return undefined;
    return new Error(
      `IP ${ip} is not in the cert's altnames: ${cert.subjectaltname || "(none)"}`,
    );
  };
}

/** How a connection uses TLS: what {@link diagnoseServer} and messages need. */
export interface TlsSetup {
  host: string;
  port: number;
  caPath?: string;
  certPath?: string;
}

/**
 * Why the daemon's certificate did not verify, found by reading it over a
 * connection that does not verify: Deno reports an expired certificate and
 * one from another CA alike ("unable to verify the first certificate").
 */
export function diagnoseServer(tls: TlsSetup, addr: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(undefined), 5000);
    const done = (why: string | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(why);
    };
    const socket = connect({
      host: tls.host,
      port: tls.port,
      rejectUnauthorized: false,
      servername: isIpHost(tls.host) ? IP_SNI_PLACEHOLDER : tls.host,
      ALPNProtocols: ["h2"],
    }, () => {
      const raw = socket.getPeerCertificate()?.raw;
      if (!raw) return done(undefined);
      const cert = new X509Certificate(raw);
      const what = `the daemon's certificate at ${addr} (${cert.subject.replace(/\n/g, ", ")})`;
      const now = new Date();
      if (new Date(cert.validTo) < now) {
        return done(`${what} expired on ${day(new Date(cert.validTo))}`);
      }
      if (new Date(cert.validFrom) > now) {
        return done(`${what} is not valid before ${day(new Date(cert.validFrom))}`);
      }
      if (tls.caPath) {
        try {
          const ca = new X509Certificate(readFileSync(tls.caPath));
          if (!cert.verify(ca.publicKey)) {
            return done(`${what} is not signed by the CA in --tlscacert ${tls.caPath}`);
          }
        } catch {
          // the CA was checked when connecting; nothing more to say
        }
      }
      done(undefined);
    });
    socket.on("error", () => done(undefined));
  });
}

const day = (d: Date) => d.toISOString().slice(0, 10);

/** Checks a PEM certificate's dates; `what` names it in messages. */
function checkDates(cert: X509Certificate, what: string, now = new Date()): void {
  const from = new Date(cert.validFrom);
  const to = new Date(cert.validTo);
  if (to < now) throw new UserError(`${what} expired on ${day(to)}`);
  if (from > now) throw new UserError(`${what} is not valid before ${day(from)}`);
}

function parseCert(pem: Buffer, what: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (err) {
    throw new UserError(`${what} is not a PEM certificate: ${(err as Error).message}`);
  }
}

/**
 * Checks the TLS files before connecting: the CA is a certificate, the
 * client certificate is in its dates, and the key is the certificate's.
 */
export function checkTlsFiles(files: {
  ca?: { path: string; pem: Buffer };
  cert?: { path: string; pem: Buffer };
  key?: { path: string; pem: Buffer };
}): void {
  if (files.ca) {
    checkDates(
      parseCert(files.ca.pem, `--tlscacert ${files.ca.path}`),
      `CA certificate ${files.ca.path}`,
    );
  }
  if (!files.cert || !files.key) return;
  const what = `client certificate ${files.cert.path}`;
  const cert = parseCert(files.cert.pem, `--tlscert ${files.cert.path}`);
  checkDates(cert, what);
  let key;
  try {
    key = createPrivateKey(files.key.pem);
  } catch (err) {
    throw new UserError(
      `--tlskey ${files.key.path} is not a PEM private key: ${(err as Error).message}`,
    );
  }
  if (!cert.checkPrivateKey(key)) {
    throw new UserError(
      `--tlskey ${files.key.path} is not the key of --tlscert ${files.cert.path} (they do not match)`,
    );
  }
}

/** A TLS failure from grpc-js as what is wrong and with which certificate, or undefined. */
export function explainTls(details: string, addr: string): string | undefined {
  const certOf = `the daemon's certificate at ${addr}`;
  if (/CERT_HAS_EXPIRED|certificate has expired/i.test(details)) {
    return `${certOf} has expired`;
  }
  if (/CERT_NOT_YET_VALID|not yet valid/i.test(details)) return `${certOf} is not yet valid`;
  if (
    /ALTNAME_INVALID|does not match certificate's altnames|not in the cert's altnames/i.test(
      details,
    )
  ) {
    const names = /.*altnames:? (.*)$/.exec(details)?.[1]?.replace(/\.$/, "");
    return `${certOf} does not name the address or --tlsservername used` +
      ` (it names ${
        names || "nothing"
      }): connect by a name it has, or give one with --tlsservername`;
  }
  if (
    /UNABLE_TO_VERIFY_LEAF_SIGNATURE|unable to verify the first certificate|self[- ]signed|unable to get (local )?issuer/i
      .test(details)
  ) {
    return `${certOf} is not signed by the CA in --tlscacert (or no --tlscacert was given)`;
  }
  if (/certificate ?required|alert number 116/i.test(details)) {
    return `the daemon at ${addr} requires a client certificate: give --tlscert and --tlskey`;
  }
  if (
    /bad certificate|unknown ca|alert number 4[28]|certificate unknown|alert number 46/i.test(
      details,
    )
  ) {
    return `the daemon at ${addr} refused the client certificate (not signed by a CA it trusts?)`;
  }
  if (
    /wrong version number|packet length too long|unsupported protocol|http_request/i.test(details)
  ) {
    return `the server at ${addr} does not speak TLS: leave out --tlscacert, --tlscert and --tlskey`;
  }
  return undefined;
}
