function n(t,e={},...o){let a=document.createElement(t);for(let[r,i]of Object.entries(e))if(i!=null)if(r==="class")a.className=i;else if(r==="text")a.textContent=String(i);else if(r==="style")Object.assign(a.style,i);else if(r.startsWith("on"))a.addEventListener(r.slice(2),i);else{if(r==="href"||r==="src")throw new Error(`h(): ${r} is not allowed`);a.setAttribute(r,String(i))}for(let r of o.flat(1/0))r==null||r===!1||a.append(r instanceof Node?r:document.createTextNode(String(r)));return a}function l(t){return t==null||Number.isNaN(t)?"\u2013":Math.round(t).toLocaleString("en-US")}function d(t){let e=document.createElement("style");return e.textContent=t,e}var c=`
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
`;var u=`
.dx-batch { max-width: 560px; }
.dx-batch .track { height: 8px; background: var(--jp-layout-color3, #e0e0e0); border-radius: 4px; overflow: hidden; display: flex; }
.dx-batch .ok { background: var(--jp-brand-color1, #1976d2); }
.dx-batch .bad { background: var(--jp-error-color1, #d32f2f); }
.dx-batch .line { display: flex; gap: 14px; margin: 4px 0; flex-wrap: wrap; }
`;function f(t){if(t==null||Number.isNaN(t))return"\u2013";if(t<60)return`${t.toFixed(1)} s`;let e=Math.floor(t/60);return`${e} min ${Math.round(t-e*60)} s`}function p(t){let e=[`${l(t.done)} / ${l(t.total)}`];t.failures&&e.push(`${l(t.failures)} failed`);let o=t.elapsed_s>0?t.done/t.elapsed_s:0;return o>0&&e.push(`${o.toFixed(o<10?1:0)}/s`),e.push(f(t.elapsed_s)),!t.finished&&o>0&&t.done<t.total&&e.push(`about ${f((t.total-t.done)/o)} left`),t.finished&&e.push(t.stop_reason?`stopped: ${t.stop_reason}`:"done"),e.join(" \xB7 ")}function x(t){if(!t||t.total==null)return n("div",{class:"dx dx-batch muted",text:"no batch"});let e=Math.max(1,t.total),o=100*(t.done-(t.failures||0))/e,a=100*(t.failures||0)/e,r=Object.entries(t.error_types||{});return n("div",{class:"dx dx-batch"},d(c+u),n("div",{class:"line"},n("b",{text:t.module||"batch"}),n("span",{class:"muted",text:`concurrency ${t.concurrency}`})),n("div",{class:"track"},n("div",{class:"ok",style:{width:`${o}%`}}),n("div",{class:"bad",style:{width:`${a}%`}})),n("div",{class:"line status",text:p(t)}),r.length?n("div",{class:"line errors"},r.map(([i,s])=>n("span",{class:"err","data-error":i,text:`${i} \xD7 ${l(s)}`}))):null)}var h={render({model:t,el:e}){let o=()=>e.replaceChildren(x(t.get("state")));return o(),t.on("change:state",o),()=>t.off("change:state",o)}};export{h as default};
