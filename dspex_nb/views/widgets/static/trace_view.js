function o(t,e={},...r){let i=document.createElement(t);for(let[n,s]of Object.entries(e))if(s!=null)if(n==="class")i.className=s;else if(n==="text")i.textContent=String(s);else if(n==="style")Object.assign(i.style,s);else if(n.startsWith("on"))i.addEventListener(n.slice(2),s);else{if(n==="href"||n==="src")throw new Error(`h(): ${n} is not allowed`);i.setAttribute(n,String(s))}for(let n of r.flat(1/0))n==null||n===!1||i.append(n instanceof Node?n:document.createTextNode(String(n)));return i}function d(t){if(typeof t=="string")return t;try{return JSON.stringify(t,null,2)}catch{return String(t)}}function a(t){if(t==null)return"\u2013";let e=t*1e3;return e<1?`${e.toFixed(2)} ms`:e<1e3?`${e.toFixed(e<10?1:0)} ms`:`${(e/1e3).toFixed(2)} s`}function l(t){return t==null||Number.isNaN(t)?"\u2013":Math.round(t).toLocaleString("en-US")}function c(t){return t==null?"\u2013":t===0?"$0":t<.01?`$${t.toFixed(5)}`:`$${t.toFixed(2)}`}function u(t){let e=document.createElement("style");return e.textContent=t,e}var p=`
.dx { font-family: var(--jp-ui-font-family, sans-serif); font-size: 13px;
      color: var(--jp-ui-font-color1, #222); }
.dx pre { white-space: pre-wrap; word-break: break-word; margin: 4px 0;
          background: var(--jp-layout-color2, #f5f5f5); padding: 6px; border-radius: 3px;
          font-family: var(--jp-code-font-family, monospace); font-size: 12px; max-height: 320px;
          overflow: auto; }
.dx .muted { color: var(--jp-ui-font-color2, #777); }
.dx .err { color: var(--jp-error-color1, #c62828); }
.dx table { border-collapse: collapse; }
.dx th, .dx td { padding: 3px 8px; text-align: left;
                 border-bottom: 1px solid var(--jp-border-color2, #e0e0e0); }
`;var x=`
.dx-trace ul { list-style: none; padding-left: 18px; margin: 0; }
.dx-trace > ul { padding-left: 0; }
.dx-trace .row { cursor: pointer; padding: 2px 4px; border-radius: 3px; display: flex; gap: 8px; }
.dx-trace .row:hover { background: var(--jp-layout-color2, #f0f0f0); }
.dx-trace .kind { font-weight: 600; min-width: 56px; }
.dx-trace .bar { height: 6px; background: var(--jp-brand-color1, #1976d2); border-radius: 3px;
                 align-self: center; opacity: .6; }
.dx-trace .details { margin: 2px 0 6px 22px; }
.dx-trace .details[hidden] { display: none; }
`;function m(t){let e=[a(t.duration)],r=t.attrs||{};return t.kind==="lm"&&(r.cached&&e.push("cached"),e.push(`${l((r.prompt_tokens||0)+(r.completion_tokens||0))} tokens`),r.cost_usd&&e.push(c(r.cost_usd)),r.retries&&e.push(`${r.retries} retr${r.retries===1?"y":"ies"}`)),t.kind==="http"&&r.status!=null&&e.push(`HTTP ${r.status}`),t.kind==="cache"&&e.push(r.hit?"hit":"miss"),e.join(" \xB7 ")}function h(t){let e=t.attrs||{},r=o("div",{class:"details",hidden:""});if(t.error&&r.append(o("div",{class:"err",text:t.error})),e.inputs!==void 0&&r.append(o("div",{class:"muted",text:"inputs"}),o("pre",{text:d(e.inputs)})),e.outputs!==void 0&&r.append(o("div",{class:"muted",text:"outputs"}),o("pre",{text:d(e.outputs)})),Array.isArray(e.messages)){r.append(o("div",{class:"muted",text:"prompt"}));for(let n of e.messages)r.append(o("pre",{"data-role":n.role,text:`${n.role}: ${d(n.content)}`}))}e.response!==void 0&&r.append(o("div",{class:"muted",text:"response"}),o("pre",{class:"response",text:d(e.response)}));let i=Object.entries(e).filter(([n])=>!["inputs","outputs","messages","response"].includes(n));return i.length&&r.append(o("table",{},i.map(([n,s])=>o("tr",{},o("td",{class:"muted",text:n}),o("td",{text:d(s)}))))),r}function f(t,e){let r=h(t),i=e>0&&t.duration!=null?Math.max(2,Math.round(t.duration/e*160)):0,n=o("div",{class:"row","data-kind":t.kind,onclick:()=>{r.hidden=!r.hidden}},o("span",{class:"kind",text:t.kind}),o("span",{class:"name",text:t.name}),o("span",{class:"bar",style:{width:`${i}px`}}),o("span",{class:t.error?"err":"muted",text:m(t)}));return o("li",{},n,r,t.children&&t.children.length?o("ul",{},t.children.map(s=>f(s,e))):null)}function g(t){return!t||!t.kind?o("div",{class:"dx dx-trace muted",text:"no trace"}):o("div",{class:"dx dx-trace"},u(p+x),o("ul",{},f(t,t.duration||0)))}var y={render({model:t,el:e}){let r=()=>e.replaceChildren(g(t.get("tree")));return r(),t.on("change:tree",r),()=>t.off("change:tree",r)}};export{y as default};
