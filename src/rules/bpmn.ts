import type { ResolvedRule } from './mapping.schema';

/**
 * A rule as a BPMN 2.0 process, for modelling tools (Camunda Modeler, bpmn.io, Signavio): start
 * event (the trigger and condition) → an exclusive gateway for the condition → one task per gate
 * (user task for approval, else a service task) → steps, a parallel gateway around the steps of
 * one stage → the write-back as a send task → end. Pure; no layout (BPMN DI), so tools lay it out.
 */
export function ruleToBpmn(table: string, rule: ResolvedRule): string {
  const nodes: string[] = [];
  const flows: string[] = [];
  let previous = 'start';
  let n = 0;
  const link = (to: string, name?: string) => {
    flows.push(
      `    <bpmn:sequenceFlow id="flow_${++n}" sourceRef="${previous}" targetRef="${to}"${name ? ` name="${xml(name)}"` : ''} />`,
    );
    previous = to;
  };
  const triggers = rule.on.map((t) => (typeof t === 'string' ? t : JSON.stringify(t))).join(', ');
  nodes.push(`    <bpmn:startEvent id="start" name="${xml(`${table} ${triggers}`)}" />`);
  if (rule.condition) {
    nodes.push(`    <bpmn:exclusiveGateway id="condition" name="${xml(rule.condition)}" default="flow_not_matched" />`);
    link('condition');
    nodes.push(`    <bpmn:endEvent id="not_matched" name="condition not met" />`);
    flows.push(`    <bpmn:sequenceFlow id="flow_not_matched" sourceRef="condition" targetRef="not_matched" />`);
  }
  for (const gate of rule.gates ?? []) {
    const id = `gate_${safeId(gate)}`;
    const kind = gate === 'approval' ? 'userTask' : 'serviceTask';
    nodes.push(`    <bpmn:${kind} id="${id}" name="${xml(`gate: ${gate}`)}" />`);
    link(id, previous === 'condition' ? 'matched' : undefined);
  }
  const uses = new Map(rule.steps.map((s) => [s.name, s.use]));
  for (const [stage, names] of stagesOf(rule.steps).entries()) {
    if (names.length === 1) {
      const id = `step_${safeId(names[0]!)}`;
      nodes.push(`    <bpmn:serviceTask id="${id}" name="${xml(`${names[0]} (${uses.get(names[0]!)})`)}" />`);
      link(id, previous === 'condition' ? 'matched' : undefined);
      continue;
    }
    const fork = `fork_${stage}`;
    const join = `join_${stage}`;
    nodes.push(`    <bpmn:parallelGateway id="${fork}" />`, `    <bpmn:parallelGateway id="${join}" />`);
    link(fork, previous === 'condition' ? 'matched' : undefined);
    for (const name of names) {
      const id = `step_${safeId(name)}`;
      nodes.push(`    <bpmn:serviceTask id="${id}" name="${xml(`${name} (${uses.get(name)})`)}" />`);
      flows.push(`    <bpmn:sequenceFlow id="flow_${++n}" sourceRef="${fork}" targetRef="${id}" />`);
      flows.push(`    <bpmn:sequenceFlow id="flow_${++n}" sourceRef="${id}" targetRef="${join}" />`);
    }
    previous = join;
  }
  if (rule.writeback) {
    nodes.push(`    <bpmn:sendTask id="writeback" name="write back to the ${xml(table)}" />`);
    link('writeback');
  }
  nodes.push(`    <bpmn:endEvent id="end" name="done" />`);
  link('end');
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="snowline" targetNamespace="https://snowline.dev/bpmn" exporter="Snowline">',
    `  <bpmn:process id="${safeId(rule.id)}" name="${xml(rule.description)}" isExecutable="false">`,
    ...nodes,
    ...flows,
    '  </bpmn:process>',
    '</bpmn:definitions>',
    '',
  ].join('\n');
}

/** Adjacent steps that share a `parallel` group run side by side, as the dispatcher stages them. */
export function stagesOf(steps: ResolvedRule['steps']): string[][] {
  const stages: string[][] = [];
  steps.forEach((step, i) => {
    const joinsPrevious = step.parallel !== undefined && step.parallel === steps[i - 1]?.parallel;
    if (joinsPrevious) stages[stages.length - 1]!.push(step.name);
    else stages.push([step.name]);
  });
  return stages;
}

/** BPMN ids are XML NCNames: letters, digits, underscore, dash and dot, not starting with a digit. */
function safeId(text: string): string {
  const cleaned = text.replace(/[^A-Za-z0-9_.-]/g, '_');
  return /^[A-Za-z_]/.test(cleaned) ? cleaned : `_${cleaned}`;
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
