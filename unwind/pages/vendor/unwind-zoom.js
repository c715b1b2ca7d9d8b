/* carry-unwind's own glue (not vendored): draws each zoomable panel of the page with uPlot
   from the page's zoom data (unwind/zoom.py says what it holds), keeps the charts on one x
   range and one cursor, and names the bar under the cursor. */
(function () {
  "use strict";
  var source = document.getElementById("zoom-data");
  if (!source || typeof uPlot === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var bars = data.bars;
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                "Dec"];

  function decode(text, scale) {   // differences, '' for none, 'field*count' for a run
    var fields = text.split(","), out = [], last = 0;
    for (var i = 0; i < fields.length; i++) {
      var parts = fields[i].split("*"), count = parts.length > 1 ? +parts[1] : 1;
      for (var k = 0; k < count; k++) {
        if (parts[0] === "") { out.push(null); } else { last += +parts[0]; out.push(last * scale); }
      }
    }
    return out;
  }
  var times = decode(data.times, 1);
  var xs = new Array(bars);
  for (var i = 0; i < bars; i++) { xs[i] = i; }

  function when(index, span) {
    var at = Math.min(Math.max(Math.round(index), 0), bars - 1);
    var d = new Date(times[at] * 1000);
    var day = ("0" + d.getUTCDate()).slice(-2) + " " + MONTHS[d.getUTCMonth()];
    var clock = ("0" + d.getUTCHours()).slice(-2) + ":" + ("0" + d.getUTCMinutes()).slice(-2);
    if (span === undefined) { return d.toISOString().slice(0, 10) + " " + clock; }
    if (span < 4 * 86400) { return day + " " + clock; }
    if (span < 200 * 86400) { return day; }
    return MONTHS[d.getUTCMonth()] + " " + d.getUTCFullYear();
  }

  function decimals(step) {
    var d = 0;
    while (d < 4 && Math.abs(Math.round(step * Math.pow(10, d)) - step * Math.pow(10, d)) > 1e-6) {
      d++;
    }
    return d;
  }
  function grouped(v, d) {
    return v.toLocaleString("en-US", {minimumFractionDigits: d, maximumFractionDigits: d});
  }
  function tickLabels(format, splits) {   // a null split is one uPlot leaves unlabelled
    var known = splits.filter(function (v) { return v !== null; });
    var step = known.length > 1 ? Math.abs(known[1] - known[0]) : 1;
    var largest = Math.max.apply(null, known.map(Math.abs));
    return splits.map(function (v) {
      if (v === null) { return ""; }
      if (format === "percent") { return (v * 100).toFixed(decimals(step * 100)) + "%"; }
      if (format === "times") { return v.toFixed(decimals(step)) + "x"; }
      if (format === "usd" && largest >= 1e6) { return (v / 1e6).toFixed(decimals(step / 1e6)) + "M"; }
      if (format === "usd" && largest >= 1e4) { return grouped(v / 1e3, decimals(step / 1e3)) + "k"; }
      return grouped(v, decimals(step));
    });
  }
  function valueText(format, v) {
    if (v === null || v === undefined) { return "-"; }
    if (format === "usd") { return grouped(v, 0) + " USD"; }
    if (format === "percent") { return (v * 100).toFixed(2) + "%"; }
    if (format === "times") { return v.toFixed(2) + "x"; }
    if (format === "pp") { return v.toFixed(2) + " pp"; }
    if (format === "z") { return (v > 0 ? "+" : "") + v.toFixed(2); }
    if (format === "flag") { return v >= 0.5 ? "on" : "off"; }
    return v.toLocaleString("en-US", {maximumFractionDigits: 6});
  }

  function zoned(index, zone) {   // the bar's time on the exchange's clock ("" when unknown)
    if (!zone) { return ""; }
    var at = Math.min(Math.max(Math.round(index), 0), bars - 1), parts = {};
    try {
      new Intl.DateTimeFormat("en-US", {timeZone: zone, year: "numeric", month: "2-digit",
        day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
        timeZoneName: "short"}).formatToParts(new Date(times[at] * 1000)).forEach(
        function (p) { parts[p.type] = p.value; });
    } catch (e) { return ""; }   // a browser without that zone: UTC alone
    return parts.year + "-" + parts.month + "-" + parts.day + " " + parts.hour + ":" +
      parts.minute + " " + parts.timeZoneName + " (" + zone + ")";
  }

  // The hover tooltip of one chart: the bar's time (UTC, and the exchange's when the panel
  // knows its zone), the bar's open/high/low/close or each line's value in its unit, and the
  // trade of a marker within a few pixels of the cursor (its blotter line).
  function tooltip(u, spec, values) {
    var box = document.createElement("div");
    box.className = "zoomtip";
    u.over.appendChild(box);
    var candles = spec.candles ? spec.candles.map(function (c) { return decode(c.values, c.scale); })
                               : null;
    var marked = spec.overlays.filter(function (o) { return o.kind === "markers" && o.tips; });
    var inside = false;
    u.over.addEventListener("mouseenter", function () { inside = true; });
    u.over.addEventListener("mouseleave", function () { inside = false; box.style.display = "none"; });

    function trade(left, top) {   // the nearest marker's text within its size and 6 px
      var best = null;
      marked.forEach(function (o) {
        o.x.forEach(function (v, k) {
          var dx = u.valToPos(v, "x") - left, dy = u.valToPos(o.y[k], "y") - top;
          var distance = Math.sqrt(dx * dx + dy * dy);
          if (distance <= o.size + 6 && (best === null || distance < best.distance)) {
            best = {distance: distance, text: spec.tips[o.tips[k]]};
          }
        });
      });
      return best && best.text;
    }
    function line(text, bold) {
      var row = document.createElement("div");
      if (bold) { var b = document.createElement("b"); b.textContent = text; row.appendChild(b); }
      else { row.textContent = text; }
      box.appendChild(row);
    }
    return function () {
      var i = u.cursor.idx, left = u.cursor.left, top = u.cursor.top;
      if (!inside || i === null || i === undefined || left < 0) { box.style.display = "none"; return; }
      box.textContent = "";
      line(when(i) + " UTC");
      var local = zoned(i, spec.zone);
      if (local) { line(local); }
      var close = values.length > 1 ? values[1][i] : null;
      if (candles && close !== null && candles[0][i] !== null) {
        line("open " + valueText(spec.format, candles[0][i]) + " · high " +
             valueText(spec.format, candles[1][i]) + " · low " +
             valueText(spec.format, candles[2][i]) + " · close " + valueText(spec.format, close));
      } else {
        spec.series.forEach(function (s, k) {
          var v = values[k + 1][i];
          if (v !== null && v !== undefined) { line(s.label + ": " + valueText(spec.format, v)); }
        });
      }
      var found = trade(left, top);
      if (found) { line(found, true); }
      box.style.display = "block";
      var room = u.over.clientWidth;
      box.style.left = (left + 14 + box.offsetWidth > room ? Math.max(left - 14 - box.offsetWidth, 0)
                                                          : left + 14) + "px";
      box.style.top = Math.max(top - box.offsetHeight - 8, 0) + "px";
    };
  }

  function overlay(u, drawn) {
    var ctx = u.ctx, box = u.bbox, ratio = uPlot.pxRatio;
    function X(v) { return u.valToPos(v, "x", true); }
    function Y(v) { return u.valToPos(v, "y", true); }
    ctx.save();
    ctx.beginPath();
    ctx.rect(box.left, box.top, box.width, box.height);
    ctx.clip();
    drawn.forEach(function (o) {
      ctx.setLineDash([]);
      if (o.kind === "spans") {
        ctx.globalAlpha = o.opacity;
        ctx.fillStyle = o.colour;
        o.x.forEach(function (p) { ctx.fillRect(X(p[0]), box.top, X(p[1]) - X(p[0]), box.height); });
        ctx.globalAlpha = 1;
      } else if (o.kind === "verticals") {
        ctx.strokeStyle = o.colour;
        ctx.lineWidth = ratio;
        ctx.setLineDash(o.dash ? o.dash.split(" ").map(function (n) { return n * ratio; }) : []);
        ctx.beginPath();
        o.x.forEach(function (v) { ctx.moveTo(X(v), box.top); ctx.lineTo(X(v), box.top + box.height); });
        ctx.stroke();
        if (o.names) {   // the triggers' letters, in red boxes along the top, as on the SVG
          ctx.setLineDash([]);
          ctx.font = "bold " + (9 * ratio) + "px sans-serif";
          ctx.textAlign = "center";
          ctx.textBaseline = "middle";
          var room = 0;
          o.x.forEach(function (v, k) {
            var at = Math.max(X(v), room);
            room = at + 13 * ratio;
            ctx.fillStyle = o.colour;
            ctx.fillRect(at - 6 * ratio, box.top, 12 * ratio, 12 * ratio);
            ctx.fillStyle = "#fff";
            ctx.fillText(o.names.charAt(k), at, box.top + 6 * ratio);
          });
        }
      } else if (o.kind === "threshold") {
        var y = Y(o.y);
        ctx.strokeStyle = o.colour;
        ctx.fillStyle = o.colour;
        ctx.lineWidth = ratio;
        ctx.setLineDash([4 * ratio, 3 * ratio]);
        ctx.beginPath(); ctx.moveTo(box.left, y); ctx.lineTo(box.left + box.width, y); ctx.stroke();
        ctx.font = (9 * ratio) + "px sans-serif";
        ctx.textAlign = "right";
        ctx.textBaseline = o.above ? "bottom" : "top";
        ctx.fillText(o.text, box.left + box.width - 4 * ratio, y + (o.above ? -2 : 2) * ratio);
      } else if (o.kind === "segments") {
        ctx.lineWidth = 2 * ratio;
        o.x.forEach(function (p, k) {
          ctx.strokeStyle = o.colours[k];
          ctx.beginPath(); ctx.moveTo(X(p[0]), Y(o.y[k][0])); ctx.lineTo(X(p[1]), Y(o.y[k][1]));
          ctx.stroke();
        });
      } else if (o.kind === "markers") {
        var size = o.size * ratio;
        o.x.forEach(function (v, k) {
          var a = X(v), b = Y(o.y[k]);
          ctx.beginPath();
          if (o.shape === "^") {
            ctx.moveTo(a, b - size); ctx.lineTo(a + size, b + size * 0.8); ctx.lineTo(a - size, b + size * 0.8);
          } else if (o.shape === "v") {
            ctx.moveTo(a, b + size); ctx.lineTo(a + size, b - size * 0.8); ctx.lineTo(a - size, b - size * 0.8);
          } else if (o.shape === "d") {
            ctx.moveTo(a, b - size); ctx.lineTo(a + size, b); ctx.lineTo(a, b + size); ctx.lineTo(a - size, b);
          } else {
            ctx.arc(a, b, size, 0, 2 * Math.PI);
          }
          ctx.closePath();
          if (o.hollow) {
            ctx.fillStyle = "#fff"; ctx.fill();
            ctx.strokeStyle = o.colours[k]; ctx.lineWidth = 1.6 * ratio; ctx.stroke();
          } else {
            ctx.fillStyle = o.colours[k]; ctx.fill();
            ctx.strokeStyle = "#1d2330"; ctx.lineWidth = 0.7 * ratio; ctx.stroke();
          }
        });
      }
    });
    ctx.restore();
  }

  var charts = [], syncing = false;
  var bar = document.querySelector(".zoombar");
  var readout = bar && bar.querySelector(".readout");
  var shown = bar && bar.querySelector(".zoomrange");

  function setRange(min, max) {
    var width = Math.max(max - min, Math.min(5, bars - 1));
    width = Math.min(width, bars - 1);
    min = Math.min(Math.max(min, 0), bars - 1 - width);
    syncing = true;
    charts.forEach(function (u) { u.setScale("x", {min: min, max: min + width}); });
    syncing = false;
    told(min, min + width);
  }
  function told(min, max) {
    if (!shown) { return; }
    shown.textContent = "showing " + when(min) + " .. " + when(max) + " UTC";
    shown.setAttribute("data-min", min.toFixed(3));
    shown.setAttribute("data-max", max.toFixed(3));
  }

  function make(element, spec) {
    var format = spec.format;
    var series = [{label: "bar", value: function (u, v) { return v === null ? "-" : when(v); }}];
    var values = [xs];
    spec.series.forEach(function (s) {
      var ys = decode(s.values, s.scale);
      var known = ys.reduce(function (n, v) { return n + (v === null ? 0 : 1); }, 0);
      var entry = {label: s.label, stroke: s.colour, width: s.width,
                   spanGaps: known < bars / 2,   // sparse: one value a day on an hourly axis
                   value: function (u, v) { return valueText(format, v); }};
      if (s.dash) { entry.dash = s.dash.split(" ").map(Number); }
      if (s.fill) {
        entry.fill = s.colour + Math.round(s.fill * 255).toString(16).padStart(2, "0");
        entry.fillTo = function () { return 0; };
      }
      if (s.step) { entry.paths = uPlot.paths.stepped({align: 1}); }
      if (s.dots) { entry.paths = function () { return null; }; entry.points = {show: true, size: 4, fill: s.colour}; }
      else { entry.points = {show: false}; }
      series.push(entry);
      values.push(ys);
    });
    var width = Math.min(spec.width, element.clientWidth || spec.width);
    var bare = spec.series.length === 0;   // a band of colours: no values to read or tick
    var options = {
      width: width, height: spec.height + (bare ? 4 : 48), series: series,
      scales: {x: {time: false}, y: spec.log ? {distr: 3, log: 10} : bare ? {range: [0, 1]} : {}},
      legend: {show: !bare, live: true},
      axes: [
        {show: !bare, space: 90, size: 30, values: function (u, splits) {
          var span = times[Math.round(Math.min(u.scales.x.max, bars - 1))] -
                     times[Math.round(Math.max(u.scales.x.min, 0))];
          return splits.map(function (v) { return when(v, span); });
        }},
        {size: spec.left, values: function (u, splits) {
          return bare ? splits.map(function () { return ""; }) : tickLabels(format, splits);
        }}
      ],
      cursor: {sync: {key: "unwind-timeline"}, drag: {x: true, y: false}},
      hooks: {
        draw: [function (u) { overlay(u, spec.overlays); }],
        setScale: [function (u, key) {
          if (key !== "x" || syncing) { return; }
          setRange(u.scales.x.min, u.scales.x.max);
        }],
        setCursor: [function (u) {
          if (u.unwindTip) { u.unwindTip(); }
          if (!readout || u.cursor.idx === null || u.cursor.idx === undefined) { return; }
          readout.textContent = "cursor: bar " + (u.cursor.idx + 1).toLocaleString("en-US") +
            " of " + bars.toLocaleString("en-US") + ", " + when(u.cursor.idx) + " UTC";
          readout.setAttribute("data-bar", u.cursor.idx);
        }]
      }
    };
    var holder = document.createElement("div");
    holder.className = "zoomchart";
    element.appendChild(holder);
    var u = new uPlot(options, values, holder);
    u.unwindTip = tooltip(u, spec, values);
    u.over.addEventListener("wheel", function (e) {
      e.preventDefault();
      var min = u.scales.x.min, max = u.scales.x.max, range = max - min;
      if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
        var moved = (e.shiftKey ? e.deltaY : e.deltaX) / u.over.clientWidth * range;
        setRange(min + moved, max + moved);
      } else {
        var at = u.posToVal(e.offsetX, "x"), factor = e.deltaY < 0 ? 0.8 : 1.25;
        setRange(at - (at - min) * factor, at + (max - at) * factor);
      }
    }, {passive: false});
    return u;
  }

  document.querySelectorAll(".panel[data-zoom]").forEach(function (element) {
    charts.push(make(element, data.panels[+element.getAttribute("data-zoom")]));
  });
  if (bar) {
    bar.hidden = false;
    bar.querySelectorAll("[data-pan]").forEach(function (button) {
      button.addEventListener("click", function () {
        var u = charts[0], range = u.scales.x.max - u.scales.x.min;
        var moved = +button.getAttribute("data-pan") * range / 2;
        setRange(u.scales.x.min + moved, u.scales.x.max + moved);
      });
    });
    bar.querySelector("[data-reset]").addEventListener("click", function () {
      setRange(0, bars - 1);
    });
  }
  window.unwindCharts = charts;   // for the console (and the rendering test): the uPlot charts
  document.body.classList.add("zoomed");
  told(0, bars - 1);
})();
