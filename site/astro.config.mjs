// The guide and the playground: a static Starlight site that the Worker serves from site/dist.
import { fileURLToPath } from "node:url";
import starlight from "@astrojs/starlight";
import { defineConfig } from "astro/config";

export default defineConfig({
  outDir: "./dist",
  trailingSlash: "ignore",
  integrations: [
    starlight({
      title: "Ferris Edge",
      description: "Run scripts that need secrets on Cloudflare's edge.",
      customCss: ["./src/styles/site.css"],
      sidebar: [
        { label: "Overview", link: "/" },
        { label: "Quick start", slug: "quick-start" },
        { label: "Packages and executions", slug: "packages" },
        { label: "Secrets", slug: "secrets" },
        { label: "Security model", slug: "security" },
        { label: "ferris_ef SDK reference", slug: "sdk" },
        { label: "API reference", slug: "api-reference" },
        { label: "Limits", slug: "limits" },
        { label: "Deploying to Cloudflare", slug: "deploying" },
        { label: "Benchmarks", slug: "benchmarks" },
        { label: "Playground", link: "/playground/" },
      ],
    }),
  ],
  vite: {
    resolve: {
      alias: {
        // The API reference imports the Worker's app in Node to read its OpenAPI document.
        // Workers-only modules that the app imports are replaced by inert stand-ins there.
        "cloudflare:workers": fileURLToPath(new URL("./src/stubs/cloudflare-workers.ts", import.meta.url)),
      },
    },
  },
});
