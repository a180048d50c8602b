import { get_secret, get_param } from "ferris_ef";

export default async function main() {
  console.log(`DB NAME: ${await get_secret("DB_NAME")}`);
  console.log(`DB PASS: ${await get_secret("DB_PASS")}`);
  console.log(`PACKAGE NAME: ${get_param("package_name")}`);
}
