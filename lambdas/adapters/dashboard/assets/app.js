// The Vouch dashboard page: plain browser JavaScript over the JSON API of lambdas/adapters/dashboard/server.ts.
// Views by URL hash: #/ services, #/service/<s> executions, #/service/<s>/build/<v> one execution,
// #/live verification windows, #/cost. Server-sent events (/api/dashboard/live) say when to re-read.
(() => {
  const view = document.getElementById('view');
  const notice = document.getElementById('notice');
  const charts = new Map();
  let renders = 0;

  const esc = (value) =>
    String(value ?? '').replace(
      /[&<>"']/g,
      (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
    );
  const enc = encodeURIComponent;
  const short = (commit) => (commit ? String(commit).slice(0, 8) : '-');
  const fmtMs = (ms) => {
    if (ms === undefined || ms === null || Number.isNaN(ms)) return '';
    if (ms < 1000) return `${Math.round(ms)} ms`;
    if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
    return `${Math.round(ms / 60_000)} min`;
  };
  const num = (v, digits = 2) =>
    typeof v === 'number' ? (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(digits)) : (v ?? '');
  const time = (iso) => (iso ? new Date(iso).toLocaleTimeString() : '');

  async function api(path) {
    const response = await fetch(path, { cache: 'no-store' });
    const body = await response.json();
    if (!response.ok) throw new Error(body.error ?? `${response.status}`);
    return body;
  }

  /** Trigger: what started a run, read from its execution name (webhook, vouch trigger, vouch run). */
  function triggerOf(execution) {
    if (/^gh-/.test(execution)) return 'push to trunk (GitHub webhook)';
    if (/^cli-/.test(execution)) return 'vouch trigger --remote';
    if (/^run-/.test(execution)) return 'vouch run';
    return 'webhook';
  }

  // ------------------------------------------------------------------ charts

  /** Draws or updates a chart in place (no flicker, and a live chart is the same object over time). */
  function chart(id, config) {
    const canvas = document.getElementById(id);
    if (!canvas || typeof Chart === 'undefined') return;
    canvas.dataset.series = JSON.stringify(config.data.datasets.map((d) => d.data));
    const existing = charts.get(id);
    if (existing && existing.canvas === canvas) {
      existing.data.labels = config.data.labels;
      existing.data.datasets.forEach((d, i) => {
        d.data = config.data.datasets[i]?.data ?? [];
      });
      existing.update('none');
      return;
    }
    existing?.destroy();
    charts.set(
      id,
      new Chart(canvas, {
        ...config,
        options: {
          animation: false,
          responsive: true,
          maintainAspectRatio: false,
          ...(config.options ?? {}),
        },
      }),
    );
  }

  const SLOT_COLOURS = { baseline: '#0969da', canary: '#cf222e' };

  /**
   * Per-period series of one judged signal, whichever shape the judge's evidence has: arrays under
   * `series`/`periods` of the signal or of each side. Undefined when the verdict holds only summaries.
   */
  function periodSeries(signal) {
    const pick = (v) => {
      if (!Array.isArray(v)) return undefined;
      return v.map((p) =>
        typeof p === 'number' ? p : (p?.value ?? p?.p50 ?? p?.p99 ?? p?.mean ?? p?.rate ?? null),
      );
    };
    for (const key of ['series', 'periods']) {
      const s = signal[key];
      if (s && (s.baseline || s.canary)) return { baseline: pick(s.baseline), canary: pick(s.canary) };
      if (Array.isArray(s) && s.length > 0 && typeof s[0] === 'object' && s[0] !== null)
        return { baseline: pick(s.map((p) => p.baseline)), canary: pick(s.map((p) => p.canary)) };
    }
    for (const key of ['series', 'periods', 'values']) {
      const b = pick(signal.baseline?.[key]);
      const c = pick(signal.canary?.[key]);
      if (b || c) return { baseline: b, canary: c };
    }
    return undefined;
  }

  /** A chart of one judged signal: both slots per period when the evidence has them, else their summaries. */
  function signalChart(id, signal) {
    const series = periodSeries(signal);
    if (series) {
      const n = Math.max(series.baseline?.length ?? 0, series.canary?.length ?? 0);
      chart(id, {
        type: 'line',
        data: {
          labels: Array.from({ length: n }, (_, i) => `period ${i + 1}`),
          datasets: ['baseline', 'canary'].map((slot) => ({
            label: slot,
            data: series[slot] ?? [],
            borderColor: SLOT_COLOURS[slot],
            backgroundColor: SLOT_COLOURS[slot],
          })),
        },
        options: { plugins: { title: { display: true, text: `${signal.signal} per period` } } },
      });
      return;
    }
    const b = signal.baseline ?? {};
    const c = signal.canary ?? {};
    const stats = ['value', 'mean', 'p50', 'p99'].filter(
      (k) => typeof b[k] === 'number' || typeof c[k] === 'number',
    );
    chart(id, {
      type: 'bar',
      data: {
        labels: stats.map((k) => (k === 'value' ? (signal.statistic ?? 'value') : k)),
        datasets: ['baseline', 'canary'].map((slot) => ({
          label: slot,
          data: stats.map((k) => (slot === 'baseline' ? b[k] : c[k]) ?? null),
          backgroundColor: SLOT_COLOURS[slot],
        })),
      },
      options: { plugins: { title: { display: true, text: `${signal.signal} (${signal.outcome})` } } },
    });
  }

  // ------------------------------------------------------------------ control

  async function control(action, body) {
    const what = `${action} ${body.service}${body.environment ? ` ${body.environment}` : ''}`;
    if (!window.confirm(`${what}?`)) return;
    notice.textContent = `${what}: sending`;
    try {
      const response = await fetch(`/api/${action}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const answer = await response.json();
      notice.textContent = response.ok
        ? `${what}: ${answer.reason ?? JSON.stringify(answer)}`
        : `${what} refused (${response.status}): ${answer.error ?? JSON.stringify(answer)}`;
    } catch (error) {
      notice.textContent = `${what} failed: ${error.message}`;
    }
    void render();
  }

  view.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-action]');
    if (!button) return;
    const body = { service: button.dataset.service };
    if (button.dataset.environment) body.environment = button.dataset.environment;
    void control(button.dataset.action, body);
  });

  const controlButtons = (service, environments, hasControl) =>
    hasControl
      ? `<span class="controls">${environments
          .map(
            (
              environment,
            ) => `<button data-action="promote" data-service="${esc(service)}" data-environment="${esc(environment)}">Promote ${esc(environment)}</button>
        <button data-action="rollback" class="danger" data-service="${esc(service)}" data-environment="${esc(environment)}">Roll back ${esc(environment)}</button>`,
          )
          .join('')}
        <button data-action="abort" class="danger" data-service="${esc(service)}">Abort ${esc(service)}</button></span>`
      : '<span class="muted">read-only: no control path</span>';

  // ------------------------------------------------------------------ views

  let meta = { label: '', control: null, services: [] };

  async function overview() {
    meta = await api('/api/dashboard/services');
    const rows = await Promise.all(
      meta.services.map(async (s) => {
        const [where, builds] = await Promise.all([
          api(`/api/dashboard/services/${enc(s.service)}/where`),
          api(`/api/dashboard/services/${enc(s.service)}/builds`),
        ]);
        return { ...s, where, builds };
      }),
    );
    return `<h2>Services and the version in each environment</h2>
      <table id="services"><tr><th>service</th><th>team</th><th>running</th><th>latest executions</th></tr>
      ${rows
        .map(
          (
            s,
          ) => `<tr data-service="${esc(s.service)}"><td><a href="#/service/${enc(s.service)}">${esc(s.service)}</a></td>
          <td>${esc(s.team)}</td>
          <td>${
            Object.values(s.where)
              .map(
                (e) =>
                  `<span class="env" data-environment="${esc(e.environment)}">${esc(e.environment)} <b>v${esc(e.version)}</b> <code>${esc(short(e.commit))}</code>${
                    e.lastRollback
                      ? ` <span class="ROLLED_BACK">v${esc(e.lastRollback.version)} rolled back</span>`
                      : ''
                  }</span>`,
              )
              .join('') || '<span class="muted">not released yet</span>'
          }</td>
          <td>${s.builds
            .slice(0, 5)
            .map(
              (b) =>
                `<a href="#/service/${enc(s.service)}/build/${b.version}">v${b.version}</a> <span class="status ${esc(b.status)}">${esc(b.status)}</span>`,
            )
            .join(' &middot; ')}</td></tr>`,
        )
        .join('')}</table>`;
  }

  async function serviceView(service) {
    const builds = await api(`/api/dashboard/services/${enc(service)}/builds`);
    return `<h2>${esc(service)}: executions</h2>
      <table id="executions"><tr><th>version</th><th>status</th><th>commit</th><th>trigger</th><th>started</th><th>duration</th></tr>
      ${builds
        .map(
          (b) => `<tr><td><a href="#/service/${enc(service)}/build/${b.version}">v${b.version}</a></td>
          <td class="status ${esc(b.status)}">${esc(b.status)}</td><td><code>${esc(short(b.commit))}</code></td>
          <td>${esc(triggerOf(b.execution))}</td><td>${esc(time(b.startedAt ?? b.allocatedAt))}</td>
          <td>${esc(b.finishedAt && b.startedAt ? fmtMs(Date.parse(b.finishedAt) - Date.parse(b.startedAt)) : '')}</td></tr>`,
        )
        .join('')}</table>`;
  }

  /** Task state from its events: the last start and done of that task (and environment). */
  function taskState(events, task, environment) {
    const mine = events.filter(
      (e) =>
        e.kind === 'TASK' && e.task === task && (environment === undefined || e.environment === environment),
    );
    const start = mine.filter((e) => e.phase === 'start').at(-1);
    const done = mine.filter((e) => e.phase === 'done').at(-1);
    if (!start && !done) return { cls: 'skipped', label: 'not run' };
    if (start && (!done || Date.parse(done.at) < Date.parse(start.at)))
      return { cls: 'running', label: 'running', ms: Date.now() - Date.parse(start.at) };
    const first = mine.find((e) => e.phase === 'start');
    return {
      cls: done.outcome === 'FAILED' ? 'failed' : 'ok',
      label: done.outcome === 'FAILED' ? 'failed' : 'ok',
      ms: first ? Date.parse(done.at) - Date.parse(first.at) : undefined,
      report: done.report,
    };
  }

  const taskBox = (label, state, extra = '') =>
    `<div class="task ${state.cls}" data-task="${esc(label)}" data-state="${esc(state.label)}">${esc(label)}<span class="d">${esc(state.label)} ${esc(fmtMs(state.ms))}</span>${extra}</div>`;

  /** Canary steps seen for a canary task in an environment, in order (traffic %). */
  function canarySteps(events, name, environment) {
    const steps = [];
    for (const e of events) {
      if (e.kind !== 'TASK' || e.environment !== environment) continue;
      const m = new RegExp(`^${name}-(shift|verify|judge|pause)@(\\d+)$`).exec(e.task);
      if (m && !steps.includes(Number(m[2]))) steps.push(Number(m[2]));
    }
    return steps;
  }

  function drawTask(task, events, environment) {
    // The version task runs before there is a version to record events under: the build is its record.
    if (task.type === 'version') return taskBox(task.name, { cls: 'ok', label: 'ok' });
    if (task.type !== 'canary') return taskBox(task.name, taskState(events, task.name, environment));
    const steps = canarySteps(events, task.name, environment);
    const inner = steps
      .map((step) => {
        const judge = taskState(events, `${task.name}-judge@${step}`, environment);
        const verify = taskState(events, `${task.name}-verify@${step}`, environment);
        const state = judge.cls !== 'skipped' ? judge : verify;
        return taskBox(`${step}%`, state);
      })
      .join('');
    const any = steps.length > 0;
    return `<div class="task ${any ? '' : 'skipped'}" data-task="${esc(task.name)}">${esc(task.name)}<div class="steps">${inner || '<span class="d">not run</span>'}</div></div>`;
  }

  /** The execution drawn with the stages it had when it ran (the pipe shape stored with its build). */
  function drawPipe(build, events) {
    const shape = build.pipeShape?.shape;
    if (!shape?.stages) {
      const names = [];
      for (const e of events) if (e.kind === 'TASK' && !names.includes(e.task)) names.push(e.task);
      return `<p class="muted">This build stored no pipe shape (it ran before shapes were kept); its tasks in order:</p>
        <div class="pipe">${names.map((n) => taskBox(n, taskState(events, n))).join('')}</div>`;
    }
    const stages = shape.stages.map((stage) => {
      const environments = [];
      if (stage.each) {
        for (const e of events) {
          if (e.kind !== 'TASK' || !e.environment) continue;
          const belongs = [...stage.tasks, ...stage.onFailure].some(
            (t) => e.task === t.name || e.task.startsWith(`${t.name}-`),
          );
          if (belongs && !environments.includes(e.environment)) environments.push(e.environment);
        }
      }
      const draw = (environment) => {
        const tasks = stage.tasks.map((t) => drawTask(t, events, environment)).join('');
        const comp = stage.onFailure
          .map((t) => taskState(events, t.name, environment))
          .some((s) => s.cls !== 'skipped')
          ? `<div class="muted">on failure:</div>${stage.onFailure.map((t) => taskBox(t.name, taskState(events, t.name, environment))).join('')}`
          : '';
        return `<div class="${stage.parallel ? 'parallel' : ''}">${tasks}</div>${comp}`;
      };
      const body = stage.each
        ? environments.map((env) => `<h4>${esc(env)}</h4>${draw(env)}`).join('') ||
          `<span class="muted">no environment reached</span>`
        : draw(undefined);
      return `<div class="stage" data-stage="${esc(stage.stage)}"><span class="section">${esc(stage.section)}${stage.parallel ? ' · parallel' : ''}${stage.each ? ' · per environment' : ''}</span><h4>${esc(stage.stage)}</h4>${body}</div>`;
    });
    return `<div class="pipe" id="pipe">${stages.join('')}</div>`;
  }

  /** The judge's verdicts of this build, per environment and step (the evidence each decision used). */
  function judgeVerdicts(events) {
    const out = [];
    for (const e of events) {
      if (e.kind !== 'TASK' || e.type !== 'judge' || e.phase !== 'done') continue;
      let verdict = e.report;
      if (e.outcome === 'FAILED') {
        try {
          verdict = JSON.parse(e.report?.cause ?? '{}').verdict ?? e.report;
        } catch {
          verdict = e.report;
        }
      }
      if (verdict?.signals) out.push({ environment: e.environment, task: e.task, at: e.at, verdict });
    }
    return out;
  }

  /** Kayenta's report, for the release that was rolled back: each signal, baseline vs canary, the test. */
  function rollbackReport(rollback, build) {
    const evidence = rollback.evidence?.evidence ?? rollback.evidence ?? {};
    const verdict = evidence.verdict ?? {};
    const signals = verdict.signals ?? [];
    const alarms = (evidence.evidence ?? []).filter?.((x) => x?.alarm || x?.alarmName) ?? [];
    const rows = signals
      .map(
        (s) => `<tr data-signal="${esc(s.signal)}" class="${s.signal === verdict.decisive ? 'decisive' : ''}">
        <td><b>${esc(s.signal)}</b>${s.signal === verdict.decisive ? ' (decisive)' : ''}</td>
        <td>${esc(num(s.baseline?.value))}</td><td>${esc(num(s.canary?.value))}</td>
        <td>${esc(s.samples?.baseline ?? s.baseline?.samples)} / ${esc(s.samples?.canary ?? s.canary?.samples)}</td>
        <td>${esc(s.test)}${s.p !== undefined ? ` p=${esc(num(s.p, 4))}` : ''}${s.U !== undefined ? ` U=${esc(num(s.U))}` : ''}${s.z !== undefined ? ` z=${esc(num(s.z))}` : ''}</td>
        <td>${s.effect !== undefined ? esc(num(s.effect, 3)) : ''}</td>
        <td>${esc(s.unit === 'relative' ? `+${num((s.allowed ?? 0) * 100, 0)} %` : `+${num((s.allowed ?? 0) * 100, 2)} pp`)}</td>
        <td class="status ${esc(s.outcome)}">${esc(s.outcome)}</td><td>${esc(s.reason)}</td></tr>`,
      )
      .join('');
    const summary = evidence.summary ?? evidence.reason ?? rollback.evidence?.error ?? '';
    return `<section class="report" id="rollback-report">
      <h2 class="ROLLED_BACK">v${esc(build.version)} was rolled back in ${esc(rollback.environment)}${evidence.step !== undefined ? ` at ${esc(evidence.step)} % traffic` : ''}</h2>
      <p><b>${esc(rollback.evidence?.error ?? '')}</b>: ${esc(summary)}${verdict.outcome ? ` &mdash; verdict <span class="status ${esc(verdict.outcome)}">${esc(verdict.outcome)}</span>` : ''}
      ${evidence.window ? `<br><span class="muted">window ${esc(new Date(evidence.window.from).toLocaleTimeString())} → ${esc(new Date(evidence.window.to).toLocaleTimeString())}</span>` : ''}</p>
      ${
        rows
          ? `<table id="signals"><tr><th>signal</th><th>baseline</th><th>canary</th><th>samples b / c</th><th>test</th><th>effect</th><th>allowed decay</th><th>classification</th><th>why</th></tr>${rows}</table>
      <div class="charts">${signals.map((_, i) => `<div class="chart"><canvas id="rb-${i}"></canvas></div>`).join('')}</div>`
          : `<pre class="mono">${esc(JSON.stringify(evidence, null, 2)).slice(0, 4000)}</pre>`
      }
      ${alarms.length ? `<p>Alarm that fired: ${alarms.map((a) => `<code>${esc(a.alarm ?? a.alarmName)}</code>`).join(', ')}</p>` : ''}
    </section>`;
  }

  async function buildView(service, version) {
    const [build, events] = await Promise.all([
      api(`/api/dashboard/services/${enc(service)}/builds/${version}`),
      api(`/api/dashboard/services/${enc(service)}/builds/${version}/events`),
    ]);
    meta.control ??= (await api('/api/dashboard/services')).control;
    const rollback = events.filter((e) => e.kind === 'PROMOTION' && e.promotion === 'ROLLED_BACK').at(-1);
    const promotions = events.filter((e) => e.kind === 'PROMOTION');
    const runDone = events.filter((e) => e.kind === 'RUN' && e.phase === 'done').at(-1);
    const verdicts = judgeVerdicts(events);
    const activeEnvs = [
      ...new Set(
        events
          .filter((e) => e.kind === 'TASK' && e.environment)
          .map((e) => e.environment)
          .filter((env) => env !== 'test'),
      ),
    ];
    const html = `<h2>${esc(service)} v${esc(build.version)} <span class="status ${esc(build.status)}">${esc(build.status)}</span></h2>
      <p>commit <code id="commit">${esc(build.commit)}</code> &middot; pipe <b>${esc(build.pipeShape?.pipe ?? '?')}</b>
      &middot; triggered by ${esc(triggerOf(build.execution))} (<code>${esc(build.execution)}</code>)
      &middot; started ${esc(time(build.startedAt ?? build.allocatedAt))}${build.finishedAt && build.startedAt ? ` &middot; took ${esc(fmtMs(Date.parse(build.finishedAt) - Date.parse(build.startedAt)))}` : ''}</p>
      ${build.status === 'RUNNING' ? `<p>${controlButtons(service, activeEnvs, meta.control)}</p>` : ''}
      ${drawPipe(build, events)}
      ${rollback ? rollbackReport(rollback, build) : ''}
      ${
        !rollback && runDone?.outcome === 'FAILED'
          ? `<section class="report" id="failure-report"><h2 class="FAILED">Why it failed</h2><pre class="mono">${esc(
              (() => {
                const err = runDone.report?.error;
                if (!err) return '';
                try {
                  return `${err.Error}: ${JSON.stringify(JSON.parse(err.Cause), null, 2)}`;
                } catch {
                  return `${err.Error}: ${err.Cause}`;
                }
              })().slice(0, 4000),
            )}</pre></section>`
          : ''
      }
      <h3>Promotions</h3>
      <table id="promotions"><tr><th>when</th><th>what</th></tr>${promotions
        .map(
          (p) =>
            `<tr><td>${esc(time(p.at))}</td><td class="status ${esc(p.promotion)}">${esc(p.label)}</td></tr>`,
        )
        .join('')}</table>
      <h3>Canary steps judged</h3>
      ${
        verdicts.length
          ? verdicts
              .map(
                (
                  v,
                  i,
                ) => `<div class="verdict" data-step="${esc(v.task)}"><b>${esc(v.environment)} ${esc(v.task.split('@')[1] ?? '')} %</b>: <span class="status ${esc(v.verdict.outcome)}">${esc(v.verdict.outcome)}</span> <span class="muted">${esc(v.verdict.reason ?? v.verdict.decision?.reason ?? '')}</span>
                <div class="charts">${v.verdict.signals.map((_, j) => `<div class="chart"><canvas id="v-${i}-${j}"></canvas></div>`).join('')}</div></div>`,
              )
              .join('')
          : '<p class="muted">no canary step was judged</p>'
      }`;
    return {
      html,
      after() {
        if (rollback) {
          const evidence = rollback.evidence?.evidence ?? rollback.evidence;
          const signals = evidence?.verdict?.signals ?? [];
          signals.forEach((s, i) => {
            signalChart(`rb-${i}`, s);
          });
        }
        verdicts.forEach((v, i) => {
          v.verdict.signals.forEach((s, j) => {
            signalChart(`v-${i}-${j}`, s);
          });
        });
      },
    };
  }

  /** Open windows: for each running build, the environments whose verify started and has not ended. */
  async function liveView() {
    meta = await api('/api/dashboard/services');
    const found = [];
    for (const s of meta.services) {
      const builds = await api(`/api/dashboard/services/${enc(s.service)}/builds`);
      for (const b of builds.filter((x) => x.status === 'RUNNING')) {
        const events = await api(`/api/dashboard/services/${enc(s.service)}/builds/${b.version}/events`);
        const environments = [
          ...new Set(events.filter((e) => e.type === 'verify').map((e) => e.environment)),
        ];
        for (const env of environments) {
          const since = events.filter((e) => e.environment === env && e.phase === 'start').at(-1)?.at;
          const from = since ? Date.parse(since) : Date.now() - 30_000;
          const live = await api(
            `/api/dashboard/services/${enc(s.service)}/windows/${enc(env)}?from=${from}`,
          );
          if (!live.window) continue;
          const verdict = judgeVerdicts(events)
            .filter((v) => v.environment === env)
            .at(-1);
          found.push({ service: s.service, env, build: b, live, verdict });
        }
      }
    }
    const html = found.length
      ? found
          .map(
            (
              f,
              i,
            ) => `<section class="window" data-service="${esc(f.service)}" data-environment="${esc(f.env)}">
            <h2>${esc(f.service)} v${esc(f.live.window.version)} in ${esc(f.env)}${f.live.window.step !== undefined ? ` at ${esc(f.live.window.step)} % traffic` : ''}</h2>
            <p>window ${esc(f.live.window.startedAt)} → ${esc(f.live.window.endsAt)}: <b class="time-left">${esc(fmtMs(Date.parse(f.live.window.endsAt) - Date.parse(f.live.now ?? new Date().toISOString())))}</b> left (platform clock)
            &middot; allowed decay: ${esc(f.verdict ? f.verdict.verdict.signals.map((s) => `${s.signal} ${s.unit === 'relative' ? `+${num(s.allowed * 100, 0)} %` : `+${num(s.allowed * 100, 2)} pp`}`).join(', ') : 'per the service’s canary config')}
            &middot; verdict so far: ${f.verdict ? `<span class="status ${esc(f.verdict.verdict.outcome)}">${esc(f.verdict.verdict.outcome)}</span>` : '<span class="muted">not judged yet</span>'}</p>
            <p>${controlButtons(f.service, [f.env], meta.control)}</p>
            ${
              f.live.series
                ? `<div class="charts"><div class="chart"><canvas id="live-${i}-latency"></canvas></div><div class="chart"><canvas id="live-${i}-errors"></canvas></div></div>`
                : '<p class="muted">no live series here (on AWS the judged periods appear after each step)</p>'
            }</section>`,
          )
          .join('')
      : '<p id="no-windows" class="muted">No verification window is open right now.</p>';
    return {
      html: `<h2>Live verification windows and canary steps</h2>${html}`,
      after() {
        found.forEach((f, i) => {
          const series = f.live.series;
          if (!series) return;
          const start = series.baseline[0]?.at ?? 0;
          const labels = series.baseline.map((p) => `+${((p.at - start) / 1000).toFixed(1)} s`);
          chart(`live-${i}-latency`, {
            type: 'line',
            data: {
              labels,
              datasets: ['baseline', 'canary'].map((slot) => ({
                label: `${slot} p50 ms`,
                data: series[slot].map((p) => p.p50 ?? null),
                borderColor: SLOT_COLOURS[slot],
                backgroundColor: SLOT_COLOURS[slot],
              })),
            },
            options: { plugins: { title: { display: true, text: 'latency p50 per period, both slots' } } },
          });
          chart(`live-${i}-errors`, {
            type: 'line',
            data: {
              labels,
              datasets: ['baseline', 'canary'].map((slot) => ({
                label: `${slot} error %`,
                data: series[slot].map((p) => (p.requests ? (100 * p.errors) / p.requests : null)),
                borderColor: SLOT_COLOURS[slot],
                backgroundColor: SLOT_COLOURS[slot],
              })),
            },
            options: { plugins: { title: { display: true, text: 'error rate per period, both slots' } } },
          });
        });
      },
    };
  }

  async function costView() {
    const cost = await api('/api/dashboard/cost');
    const labels = cost.points.map((p) => new Date(p).toLocaleTimeString());
    const palette = ['#0969da', '#cf222e', '#1a7f37', '#9a6700', '#8250df', '#bf3989'];
    const datasets = (record) =>
      Object.entries(record).map(([key, data], i) => ({
        label: key,
        data,
        borderColor: palette[i % palette.length],
        backgroundColor: palette[i % palette.length],
      }));
    const totals = (record) =>
      Object.entries(record)
        .map(([k, v]) => `<tr><td>${esc(k)}</td><td>$${esc((v.at(-1) ?? 0).toFixed(4))}</td></tr>`)
        .join('');
    return {
      html: `<h2>Cost per team and per service over time <span class="muted">(${esc(cost.label)})</span></h2>
        <p class="muted">${esc(cost.note)}</p>
        <div class="charts"><div class="chart"><canvas id="cost-team"></canvas></div><div class="chart"><canvas id="cost-service"></canvas></div></div>
        <table id="cost-teams"><tr><th>team</th><th>total</th></tr>${totals(cost.byTeam)}</table>
        <table id="cost-services"><tr><th>service</th><th>total</th></tr>${totals(cost.byService)}</table>`,
      after() {
        chart('cost-team', {
          type: 'line',
          data: { labels, datasets: datasets(cost.byTeam) },
          options: { plugins: { title: { display: true, text: 'per team, USD (cumulative)' } } },
        });
        chart('cost-service', {
          type: 'line',
          data: { labels, datasets: datasets(cost.byService) },
          options: { plugins: { title: { display: true, text: 'per service, USD (cumulative)' } } },
        });
      },
    };
  }

  // ------------------------------------------------------------------ routing and live updates

  let rendering = Promise.resolve();
  let lastHtml = '';
  let lastRoute = '';

  async function renderNow() {
    const route = location.hash.replace(/^#/, '') || '/';
    const parts = route.split('/').filter(Boolean).map(decodeURIComponent);
    document.querySelectorAll('nav a').forEach((a) => {
      a.classList.toggle(
        'active',
        a.dataset.nav === (parts[0] === 'live' ? 'live' : parts[0] === 'cost' ? 'cost' : 'overview'),
      );
    });
    let result;
    try {
      if (parts[0] === 'live') result = await liveView();
      else if (parts[0] === 'cost') result = await costView();
      else if (parts[0] === 'service' && parts[2] === 'build')
        result = await buildView(parts[1], Number(parts[3]));
      else if (parts[0] === 'service') result = await serviceView(parts[1]);
      else result = await overview();
    } catch (error) {
      result = `<p class="FAILED">Could not read: ${esc(error.message)}</p>`;
    }
    const { html, after } = typeof result === 'string' ? { html: result, after: undefined } : result;
    // Unchanged markup is left alone, so charts update in place instead of being redrawn.
    if (html !== lastHtml || route !== lastRoute) {
      for (const c of charts.values()) c.destroy();
      charts.clear();
      view.innerHTML = html;
      lastHtml = html;
      lastRoute = route;
    }
    after?.();
    renders++;
    document.body.dataset.renders = String(renders);
    document.body.dataset.view = parts[0] ?? 'overview';
    document.body.dataset.route = route;
  }

  function render() {
    rendering = rendering.then(renderNow, renderNow);
    return rendering;
  }

  window.addEventListener('hashchange', () => void render());
  fetch('/api/dashboard/services')
    .then((r) => r.json())
    .then((m) => {
      document.getElementById('source').textContent = m.label ?? '';
    })
    .catch(() => {});
  const liveState = document.getElementById('live-state');
  const stream = new EventSource('/api/dashboard/live');
  stream.onmessage = () => {
    liveState.textContent = `live · updated ${new Date().toLocaleTimeString()}`;
    void render();
  };
  stream.onerror = () => {
    liveState.textContent = 'live updates lost: retrying';
  };
  void render();
})();
