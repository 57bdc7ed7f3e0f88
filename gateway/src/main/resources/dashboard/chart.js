// Charts with uPlot (loaded from its WebJar as the global `uPlot`). Values here are plain numbers: a chart is a
// picture of the figures, which the tables beside it show exactly.

const COLORS = ['#2563eb', '#f97316', '#16a34a', '#dc2626', '#9333ea', '#0891b2', '#ca8a04', '#db2777', '#64748b'];

const charts = new Set();
let resizing = false;

function widthOf(container) {
  return Math.max(320, container.clientWidth - 8);
}

function dollars(value) {
  if (value === null || value === undefined) return '—';
  if (Math.abs(value) >= 1) return '$' + value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  return '$' + Number(value.toPrecision(3)).toString();
}

/** The last point of the chart: what the legend shows while the pointer is not over it. */
function latest(u) {
  const n = u.data[0].length;
  return n ? n - 1 : null;
}

function base(container, series, height) {
  return {
    width: widthOf(container),
    height,
    tzDate: ts => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'),
    scales: { x: { time: true } },
    legend: { live: true },
    // the legend reads the hovered point, and the latest one otherwise (never "UTC: — spend: —")
    hooks: {
      ready: [u => u.setLegend({ idx: latest(u) }, false)],
      setLegend: [u => { if (u.legend.idx === null || u.legend.idx === undefined) u.setLegend({ idx: latest(u) }, false); }],
    },
    axes: [{}, { size: 70, values: (u, ticks) => ticks.map(dollars) }],
    series: [{ label: 'UTC', value: (u, ts) => (ts === null || ts === undefined ? '—' : new Date(ts * 1000).toISOString().slice(0, 16).replace('T', ' ')) }, ...series],
  };
}

function track(plot, container) {
  charts.add({ plot, container });
  if (!resizing) {
    resizing = true;
    window.addEventListener('resize', () => {
      for (const c of charts) {
        if (!c.container.isConnected) charts.delete(c);
        else c.plot.setSize({ width: widthOf(c.container), height: c.plot.height });
      }
    });
  }
  return plot;
}

/** Spend per time bucket as bars: x in epoch seconds, y in dollars. */
export function bars(container, xs, ys, label) {
  const series = [{ label, stroke: COLORS[0], fill: COLORS[0] + 'cc', value: (u, v) => dollars(v),
    paths: uPlot.paths.bars({ size: [0.7, 48] }), points: { show: false } }];
  return track(new uPlot(base(container, series, 240), [xs, ys], container), container);
}

/** One line per group: groups is [{label, values}] aligned with xs. */
export function lines(container, xs, groups) {
  const series = groups.map((g, i) => ({ label: g.label, stroke: COLORS[i % COLORS.length], width: 2,
    value: (u, v) => dollars(v), points: { show: true, size: 5 } }));
  return track(new uPlot(base(container, series, 300), [xs, ...groups.map(g => g.values)], container), container);
}
