// The guide and the playground: a static Starlight site that the Worker serves from site/dist.
import { fileURLToPath } from "node:url";
import starlight from "@astrojs/starlight";
import { defineConfig } from "astro/config";
import { searchIndex } from "./src/search/integration.ts";

export default defineConfig({
  outDir: "./dist",
  trailingSlash: "ignore",
  integrations: [
    starlight({
      title: "Ferris Edge",
      description: "Run scripts that need secrets on Cloudflare's edge.",
      customCss: ["./src/styles/site.css"],
      // Pagefind's search runs WebAssembly, which the Content-Security-Policy does not allow,
      // so the guide searches a JSON index (written by searchIndex below) with its own component.
      pagefind: false,
      components: { Search: "./src/components/Search.astro" },
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
    searchIndex({ exclude: ["404/", "playground/"] }),
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
