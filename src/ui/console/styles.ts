/** The console's stylesheet (inline, no external asset): a top bar, a wrapping nav, cards; fits 390 px. */
export const CONSOLE_CSS = `
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;
background:#f6f7f9;color:#1d232b}main{max-width:64rem;margin:1rem auto;padding:0 1rem}
.card{background:#fff;border:1px solid #dde1e6;border-radius:10px;padding:1rem 1.25rem;margin-bottom:1rem;
overflow-wrap:anywhere}h1{font-size:1.4rem;margin:0 0 .75rem}h2{font-size:1.1rem}
label{display:block;margin:.75rem 0 .25rem;font-weight:600}
input,select,textarea{width:100%;max-width:100%;padding:.5rem .6rem;border:1px solid #bfc6ce;border-radius:6px;
font:inherit}textarea{font-family:ui-monospace,monospace;font-size:.9rem}
button,.button{display:inline-block;margin-top:1rem;padding:.5rem 1rem;border:0;border-radius:6px;
background:#2454d6;color:#fff;font:inherit;cursor:pointer;text-decoration:none}
button.secondary,.button.secondary{background:#e8ebef;color:#1d232b}button.danger{background:#c62f2f}
:focus-visible{outline:3px solid #f0b400;outline-offset:2px}
.error{background:#fdecec;border:1px solid #f3b7b7;color:#8a1c1c;padding:.5rem .8rem;border-radius:6px}
.field-error{color:#8a1c1c;font-size:.9rem;margin:.2rem 0 0}
.ok{background:#eaf6ec;border:1px solid #b5dfbd;padding:.5rem .8rem;border-radius:6px}
.warn{background:#fff6e0;border:1px solid #f0d089;padding:.5rem .8rem;border-radius:6px}
.muted{color:#5c6773;font-size:.9rem}.hint{color:#5c6773;font-size:.85rem;margin:.15rem 0 0}
header{background:#1d232b;color:#fff;padding:.5rem 1rem;display:flex;flex-wrap:wrap;gap:.5rem;
align-items:center;justify-content:space-between}header a{color:#fff;text-decoration:none;font-weight:700}
header form{margin:0;display:flex;gap:.5rem;align-items:center;flex-wrap:wrap}header label{margin:0;color:#c9d1da;
font-weight:400}header select{width:auto;max-width:12rem;padding:.2rem}header button{margin:0;padding:.2rem .6rem;
background:transparent;border:1px solid #5c6773}.who{color:#c9d1da;font-size:.9rem}
nav{background:#fff;border-bottom:1px solid #dde1e6;padding:.25rem 1rem;display:flex;flex-wrap:wrap;gap:.1rem .9rem}
nav a{color:#2454d6;text-decoration:none;padding:.3rem 0}nav a[aria-current=page]{color:#1d232b;font-weight:700;
border-bottom:2px solid #2454d6}code,pre{background:#eef0f3;border-radius:4px;font-size:.85rem}
code{padding:.1rem .3rem;word-break:break-all}pre{padding:.6rem;overflow-x:auto;white-space:pre-wrap;
word-break:break-all;max-width:100%}table{width:100%;border-collapse:collapse}
td,th{text-align:left;padding:.4rem;border-bottom:1px solid #eef0f3;vertical-align:top}
.counts{display:grid;grid-template-columns:repeat(auto-fit,minmax(8rem,1fr));gap:.75rem}
.count{background:#fff;border:1px solid #dde1e6;border-radius:10px;padding:.75rem;text-decoration:none;color:inherit}
.count strong{display:block;font-size:1.6rem}.row{display:flex;gap:.5rem;flex-wrap:wrap;align-items:center}
.row>*{margin-top:0}.check{display:flex;gap:.5rem;align-items:center;font-weight:400}.check input{width:auto}
fieldset{border:1px solid #dde1e6;border-radius:8px;margin:.75rem 0;padding:.25rem .75rem .75rem;min-width:0}
details{border-bottom:1px solid #eef0f3;padding:.3rem 0}summary{cursor:pointer}
.level-error{color:#8a1c1c;font-weight:700}.code-editor{border:1px solid #bfc6ce;border-radius:6px;max-height:32rem;
overflow:auto;font-size:.9rem}.cm-editor{max-width:100%}
.sr-only{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);
white-space:nowrap;border:0}svg.chart{display:block;width:100%;height:auto;max-height:16rem;margin:.5rem 0}
.legend{list-style:none;padding:0;margin:0;display:flex;flex-wrap:wrap;gap:.25rem 1rem}
.chart-ranges a[aria-current]{font-weight:700;color:#1d232b}form.row label{margin:0}form.row select{width:auto;
max-width:100%;flex:1 1 10rem}
`;
