import { HtmlDocument } from "./layout.tsx";

/**
 * The API reference page (src/ui/api_reference.ts serves it): Swagger UI, with its stylesheet and scripts at
 * the URLs given, all served by Sluice.
 */
export function referencePage(
  { stylesheet, bundle, init }: { stylesheet: string; bundle: string; init: string },
) {
  const head = (
    <>
      <link rel="icon" href="data:," />
      <link rel="stylesheet" href={stylesheet} />
    </>
  );
  return (
    <HtmlDocument title="API reference" head={head}>
      <body style="margin:0">
        <div id="swagger-ui" />
        <script src={bundle} />
        <script src={init} />
      </body>
    </HtmlDocument>
  );
}
