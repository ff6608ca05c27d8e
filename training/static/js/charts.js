/* Charts drawn with the vendored, pinned Apache ECharts build (static/vendor/echarts, see its README): Chinese
 * locale (built into ECharts as "ZH"), no network. Each chart is resized with its box and disposed of when the
 * box is replaced. */
import * as echarts from "../vendor/echarts/echarts.esm.min.js";

const FONT = "'Noto Sans SC', 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif";

/** Draw `option` into `box` (an element with a height from the CSS); returns the chart. */
export function drawChart(box, option) {
  const existing = echarts.getInstanceByDom(box);
  if (existing) existing.dispose();
  const chart = echarts.init(box, null, { locale: "ZH", renderer: "canvas" });
  chart.setOption({ textStyle: { fontFamily: FONT }, animation: false, ...option });
  const observer = new ResizeObserver(() => {
    if (!box.isConnected) { observer.disconnect(); chart.dispose(); return; }
    chart.resize();
  });
  observer.observe(box);
  return chart;
}
