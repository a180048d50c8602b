/**
 * The guide's example packages. The guide pages show these files, and the playground's
 * "Load example" button and /playground/?example=<name> load them into the Add form.
 */
import testSecretsScript from "./test_secrets/test_secrets.js?raw";
import testSecretsSecrets from "./test_secrets/secrets.json?raw";
import scopedLookupScript from "./scoped_lookup/scoped_lookup.js?raw";
import scopedProjectSecrets from "./scoped_lookup/project-secrets.json?raw";
import scopedPlatformSecrets from "./scoped_lookup/platform-secrets.json?raw";

export interface ExampleFile {
  name: string;
  text: string;
}

export interface ExamplePackage {
  /** The value of ?example= that loads it. */
  id: string;
  packageName: string;
  description: string;
  scripts: ExampleFile[];
  /** secrets.json of the package; null when the example keeps its secrets elsewhere. */
  secrets: ExampleFile | null;
  /** Secrets to set on the project and the platform before running, as JSON text. */
  projectSecrets: string | null;
  platformSecrets: string | null;
}

export const EXAMPLES: ExamplePackage[] = [
  {
    id: "test_secrets",
    packageName: "example",
    description: "Reads DB_NAME and DB_PASS from its own secrets.json and prints them, masked.",
    scripts: [{ name: "test_secrets.js", text: testSecretsScript }],
    secrets: { name: "secrets.json", text: testSecretsSecrets },
    projectSecrets: null,
    platformSecrets: null,
  },
  {
    id: "scoped_lookup",
    packageName: "scoped-lookup",
    description: "Reads API_KEY from the project scope and REGION from the platform scope.",
    scripts: [{ name: "scoped_lookup.js", text: scopedLookupScript }],
    secrets: null,
    projectSecrets: scopedProjectSecrets,
    platformSecrets: scopedPlatformSecrets,
  },
];

export function findExample(id: string | null): ExamplePackage | undefined {
  return EXAMPLES.find((example) => example.id === id);
}
