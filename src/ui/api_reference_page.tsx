import { HtmlDocument } from "./layout.tsx";

/** The API reference page (src/ui/api_reference.ts serves it): Swagger UI with its assets at `stylesheet`
 * and `scripts`, all served by Sluice. */
export function referencePage({ stylesheet, scripts }: { stylesheet: string; scripts: string[] }) {
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
        {scripts.map((src) => <script src={src} />)}
      </body>
    </HtmlDocument>
  );
}
