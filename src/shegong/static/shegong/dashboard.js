/* Draws every element carrying data-chart with ECharts, so pages only emit data (CSP: no inline script).

   <div class="sg-chart" data-chart="my-chart-options"></div>
   {{ options|json_script:"my-chart-options" }}      -> <script type="application/json" id="my-chart-options">

   or, for small charts, the options inline:  <div class="sg-chart" data-chart='{"series": [...]}'></div>

   Charts inside content swapped in by htmx are drawn too, and all charts follow window resizes. */
(function () {
  "use strict";

  function readOptions(el) {
    var ref = (el.getAttribute("data-chart") || "").trim();
    var text = ref;
    if (ref.charAt(0) !== "{") {
      var source = document.getElementById(ref);
      text = source ? source.textContent : "";
    }
    if (!text) {
      console.error("data-chart: no options found for", el);
      return null;
    }
    try {
      return JSON.parse(text);
    } catch (err) {
      console.error("data-chart: options are not valid JSON", ref, err);
      return null;
    }
  }

  // ECharts' HTML tooltips write style="" attributes, which the CSP blocks; draw tooltips on the canvas.
  function cspSafe(options) {
    var tooltips = Array.isArray(options.tooltip) ? options.tooltip : options.tooltip ? [options.tooltip] : [];
    tooltips.forEach(function (tooltip) {
      if (!tooltip.renderMode) {
        tooltip.renderMode = "richText";
      }
    });
    return options;
  }

  function draw(el) {
    if (el.getAttribute("data-chart-drawn") || typeof window.echarts === "undefined") {
      return;
    }
    var options = readOptions(el);
    if (!options) {
      return;
    }
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(cspSafe(options));
    el.setAttribute("data-chart-drawn", "true");
  }

  function drawAll(root) {
    var scope = root && root.querySelectorAll ? root : document;
    if (scope.matches && scope.matches("[data-chart]")) {
      draw(scope);
    }
    Array.prototype.forEach.call(scope.querySelectorAll("[data-chart]"), draw);
  }

  var resizeTimer = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(function () {
      Array.prototype.forEach.call(document.querySelectorAll("[data-chart-drawn]"), function (el) {
        var chart = window.echarts.getInstanceByDom(el);
        if (chart) {
          chart.resize();
        }
      });
    }, 150);
  });

  document.addEventListener("htmx:load", function (event) {
    drawAll(event.detail && event.detail.elt);
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      drawAll(document);
    });
  } else {
    drawAll(document);
  }

  window.shegongCharts = { draw: draw, drawAll: drawAll };
})();
