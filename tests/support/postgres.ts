/**
 * The set-up's PostgreSQL for the server tests: whether it answers, and a
 * fresh database per test, dropped afterwards.
 */
import pg from "pg";

/** The set-up's database URL ($MELANGE2_POSTGRES, else its default). */
export const POSTGRES: string = Deno.env.get("MELANGE2_POSTGRES") ??
  "postgres://melange2:melange2@127.0.0.1:5432/melange2";

async function postgresAnswers(): Promise<boolean> {
  const c = new pg.Client({ connectionString: POSTGRES, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

/** Whether PostgreSQL answers (the tests that need it are ignored otherwise, with a note). */
export const havePostgres: boolean = await postgresAnswers();
if (!havePostgres) {
  console.log(`note: no PostgreSQL at ${POSTGRES}; bash scripts/setup.sh starts one`);
}

/** A fresh database on the set-up's PostgreSQL for one test, dropped afterwards. */
export async function withDatabase(fn: (url: string) => Promise<void>): Promise<void> {
  const name = `melange2_test_${crypto.randomUUID().slice(0, 8)}`;
  const admin = new pg.Client({ connectionString: POSTGRES });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  try {
    const url = new URL(POSTGRES);
    url.pathname = `/${name}`;
    await fn(url.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}
