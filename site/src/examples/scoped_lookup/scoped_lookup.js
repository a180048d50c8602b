import { get_secret } from "ferris_ef";

// API_KEY is set on the project and REGION on the platform (workspace); the package sets
// neither, so each lookup falls through to the scope that has it.
export default async function main() {
  console.log(`API KEY: ${await get_secret("API_KEY")}`);
  console.log(`REGION: ${await get_secret("REGION")}`);
}
