import { buildSiteIfStale } from "../site-build";

/** Global setup of the node project: the deploy dry run needs the built site. */
export default function setup(): void {
  buildSiteIfStale();
}
