/**
 * The audit trail of the main scenario (upload, run, read results), its filters, and its
 * integrity: records hold no values, cannot be changed, and an action whose record cannot be
 * written does not happen.
 */
import { env } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { api, createPackage, createProject, expectJson } from "./helpers/api";

const SCRIPT = `import { get_secret, get_param } from "ferris_ef";

export default async function main() {
  console.log(\`DB NAME: \${await get_secret("DB_NAME")}\`);
  console.log(\`DB PASS: \${await get_secret("DB_PASS")}\`);
  console.log(\`PACKAGE NAME: \${get_param("package_name")}\`);
}
`;

interface AuditEvent {
  action: string;
  actor_type: string;
  actor_id: string;
  scope: string | null;
  secret_name: string | null;
  package_id: string | null;
  execution_id: string | null;
}

async function trail(query: string): Promise<AuditEvent[]> {
  const body = await expectJson<{ events: AuditEvent[] }>(await api("GET", `/audit?${query}`), 200);
  return body.events;
}

describe("audit trail of the main scenario", () => {
  it("records each event in order, without values", async () => {
    const pkg = await createPackage({
      scripts: [{ name: "test_secrets.js", content: SCRIPT }],
      secrets: { DB_NAME: "test_db", DB_PASS: "supersecretpas$" },
    });
    const execution = await expectJson<{ id: string; status: string }>(
      await api("POST", `/packages/${pkg.id}/executions?wait=1`, {}),
      201,
    );
    expect(execution.status).toBe("completed");

    const events = await trail(`package=${pkg.id}&order=asc`);
    expect(events.map((event) => event.action)).toEqual([
      "package.created",
      "secret.created",
      "secret.created",
      "run.started",
      "secret.read",
      "secret.read",
      "run.finished",
    ]);
    expect(events.slice(1, 3).map((event) => event.secret_name).sort()).toEqual(["DB_NAME", "DB_PASS"]);

    const reads = events.filter((event) => event.action === "secret.read");
    expect(reads.map((event) => event.secret_name)).toEqual(["DB_NAME", "DB_PASS"]);
    for (const read of reads) {
      expect(read.scope).toBe("package");
      expect(read.actor_type).toBe("script");
      expect(read.actor_id).toBe(execution.id);
      expect(read.execution_id).toBe(execution.id);
    }

    const stored = await env.DB.prepare("SELECT * FROM audit_events WHERE package_id = ?").bind(pkg.id).all();
    const text = JSON.stringify(stored.results);
    expect(text).not.toContain("test_db");
    expect(text).not.toContain("supersecretpas$");
  });

  it("filters by secret name and action", async () => {
    const project = await createProject();
    const put = await api("PUT", `/projects/${project.id}/secrets`, '{"FILTER_ME": "filter-value", "OTHER": "other-value"}');
    expect(put.status).toBe(200);

    const events = await trail("secret=FILTER_ME&action=secret.created");
    expect(events.length).toBeGreaterThanOrEqual(1);
    for (const event of events) {
      expect(event.secret_name).toBe("FILTER_ME");
      expect(event.action).toBe("secret.created");
    }
  });

  it("pages with a cursor", async () => {
    const project = await createProject();
    await api("PUT", `/projects/${project.id}/secrets`, '{"PAGE_A": "value-a1", "PAGE_B": "value-b2", "PAGE_C": "value-c3"}');

    const first = await expectJson<{ events: { seq: number }[]; next_cursor: string | null }>(
      await api("GET", "/audit?action=secret.created&limit=2"),
      200,
    );
    expect(first.events).toHaveLength(2);
    expect(first.next_cursor).not.toBeNull();

    const second = await expectJson<{ events: { seq: number }[] }>(
      await api("GET", `/audit?action=secret.created&limit=2&cursor=${first.next_cursor}`),
      200,
    );
    expect(second.events[0]!.seq).toBeLessThan(first.events[1]!.seq);
  });
});

describe("audit integrity", () => {
  afterEach(async () => {
    await env.DB.exec("DROP TRIGGER IF EXISTS test_audit_unavailable");
  });

  it("offers no route to change or delete records", async () => {
    expect((await api("DELETE", "/audit")).status).toBe(404);
    expect((await api("PUT", "/audit", {})).status).toBe(404);
  });

  it("rejects an UPDATE of a record", async () => {
    await expect(env.DB.exec("UPDATE audit_events SET action = 'secret.read'")).rejects.toThrow(/audit records cannot be changed/);
  });

  it("fails a secret write whose record cannot be written", async () => {
    const project = await createProject();
    // Stands in for an audit store that fails: every new record is rejected.
    await env.DB.exec(
      "CREATE TRIGGER test_audit_unavailable BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, 'audit unavailable'); END",
    );

    const response = await api("PUT", `/projects/${project.id}/secrets`, '{"UNRECORDED": "never-stored"}');
    expect(response.status).toBe(500);

    const rows = await env.DB.prepare("SELECT name FROM secrets WHERE owner_id = ?").bind(project.id).all();
    expect(rows.results).toEqual([]);
  });
});
