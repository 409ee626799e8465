import { implementationLocation, type MatchedScenario } from '../model.js';

function describe(impl: MatchedScenario['steps'][number]['implementation']): string {
  return impl.type === 'shell'
    ? `IMPLEMENTS ${impl.keyword} ${impl.pattern}`
    : `${impl.impl.pattern} (TypeScript)`;
}

/** `--list`: every scenario and the implementation each step binds to (text or JSON). */
export function listScenarios(scenarios: readonly MatchedScenario[], json: boolean): string {
  if (json) {
    const data = scenarios.map((s) => ({
      name: s.scenario.name,
      location: `${s.scenario.location.file}:${s.scenario.location.line}`,
      steps: s.steps.map((st) => ({
        keyword: st.step.kind,
        text: st.step.text,
        location: `${st.step.location.file}:${st.step.location.line}`,
        implementation: {
          type: st.implementation.type,
          pattern:
            st.implementation.type === 'shell'
              ? st.implementation.pattern
              : st.implementation.impl.pattern.source,
          location: implementationLocation(st.implementation),
        },
        captures: st.captures,
      })),
    }));
    return `${JSON.stringify({ scenarios: data }, null, 2)}\n`;
  }
  let out = '';
  for (const s of scenarios) {
    out += `${s.scenario.name}  (${s.scenario.location.file}:${s.scenario.location.line})\n`;
    for (const st of s.steps) {
      out += `    ${st.step.kind} ${st.step.text}\n        -> ${describe(st.implementation)}  (${implementationLocation(st.implementation)})\n`;
    }
  }
  return out;
}
