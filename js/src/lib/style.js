// One small stylesheet per widget root, scoped by class; uses JupyterLab's theme variables.
export function style(css) {
  const el = document.createElement("style");
  el.textContent = css;
  return el;
}

export const BASE_CSS = `
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
`;
