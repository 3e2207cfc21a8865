/// The timeline page's script: it reads each run's JSON (`TimelineData`) and draws it on a
/// canvas — lanes, bars by result, machine spans, arrows, highlights — with zoom and pan on the
/// time axis, a tooltip per operation, and a status element (`output.status`) saying what it drew.
/// With `#selftest` in the page's address it also counts the canvas's pixels of each colour into
/// that element, for the browser tests.
enum TimelineScript {
    static let source = #"""
        (function () {
          "use strict";
          var LANE_H = 22, GROUP_H = 20, MACHINE_ROW_H = 13, AXIS_H = 26, MARK = "#ffcc00";
          var MACHINE_COLORS = { "shutdown": "#6b6b6b", "Session Manager": "#7b5ea7", "services": "#8c6d46", "logon": "#1c9bb0", "RunOnce": "#a3a322" };
          var tip = document.getElementById("tip");
          var selftest = /selftest/.test(location.hash);
          var dpr = window.devicePixelRatio || 1;

          // A time in the unit its size calls for: 950.207 ms, 1.500 s, 12.000 µs.
          function fmt(ns) {
            var unit = unitOf(ns);
            return unit[0] === 1 ? Math.round(ns) + " ns" : (ns / unit[0]).toFixed(3) + " " + unit[1];
          }
          function unitOf(ns) {
            var a = Math.abs(ns);
            return a >= 1e9 ? [1e9, "s"] : a >= 1e6 ? [1e6, "ms"] : a >= 1e3 ? [1e3, "µs"] : [1, "ns"];
          }
          // A tick of the axis: in the unit of the view, with as many decimals as the step needs.
          function tickLabel(t, step, unit) {
            var decimals = Math.max(0, Math.min(6, Math.ceil(Math.log10(unit[0] / step) - 1e-9)));
            return (t / unit[0]).toFixed(decimals) + " " + unit[1];
          }
          function el(tag, cls, text) {
            var e = document.createElement(tag);
            if (cls) e.className = cls;
            if (text != null) e.textContent = text;
            return e;
          }
          function rgbKey(hex) { return parseInt(hex.slice(1), 16); }

          function Timeline(section) {
            var d = JSON.parse(section.querySelector(".run-data").textContent);
            this.d = d;
            this.section = section;
            this.root = section.querySelector(".timeline");
            this.status = section.querySelector("output.status");
            this.rangeText = section.querySelector('[data-role="range"]');
            this.showArrows = true;
            this.focus = null;
            this.prepare();
            this.build();
            this.fit();
            this.bind();
            var t0 = performance.now();
            this.resize();
            this.status.setAttribute("data-first-draw-ms", (performance.now() - t0).toFixed(1));
            if (selftest) {
              this.exercise();
              this.fit();
              this.draw();
            }
          }

          Timeline.prototype.prepare = function () {
            var d = this.d, ops = d.ops, n = ops.lane.length;
            this.n = n;
            this.from = Float64Array.from(ops.from);
            this.to = Float64Array.from(ops.to);
            this.lane = Int32Array.from(ops.lane);
            this.outcome = Int32Array.from(ops.outcome);
            this.colors = d.outcomes.map(function (o) { return o.color; });
            this.idle = d.outcomes.map(function (o) { return o.name === "idle"; });
            this.byOutcome = d.outcomes.map(function () { return []; });
            this.laneOps = d.lanes.map(function () { return []; });
            for (var i = 0; i < n; i++) {
              this.byOutcome[this.outcome[i]].push(i);
              this.laneOps[this.lane[i]].push(i);
            }
            this.arrowColors = {};
            var self = this;
            d.arrowKinds.forEach(function (k) { self.arrowColors[k.kind] = k.color; });
            this.failedExpectations = [];
            d.expectations.forEach(function (e, i) { if (e.verdict !== "pass") self.failedExpectations.push(i); });
          };

          Timeline.prototype.highlighted = function () {
            var d = this.d, set = {}, list = this.focus == null ? this.failedExpectations : [this.focus];
            list.forEach(function (i) { d.expectations[i].ops.forEach(function (o) { set[o] = true; }); });
            return set;
          };

          Timeline.prototype.build = function () {
            var d = this.d, self = this;
            this.rows = [];
            this.laneRow = [];
            var y = 0;
            function push(row) { row.y = y; y += row.h; self.rows.push(row); return row; }
            if (d.machine.length) this.machineRow = push({ kind: "machine", h: 3 * MACHINE_ROW_H + 6, text: "machine" });
            var groups = d.boots.map(function () { return []; }), never = [];
            d.lanes.forEach(function (l, i) { if (l.boot == null) never.push(i); else groups[l.boot].push(i); });
            groups.forEach(function (lanes, b) {
              if (!lanes.length) return;
              var text = b === 0 ? "boot 1 · from the run's start" : d.boots[b].name + " · boot " + (b + 1) + " · from " + fmt(d.boots[b].from);
              push({ kind: "group", h: GROUP_H, text: text });
              lanes.forEach(function (i) { self.laneRow[i] = push({ kind: "lane", lane: i, h: LANE_H }); });
            });
            if (never.length) {
              push({ kind: "group", h: GROUP_H, text: "never started" });
              never.forEach(function (i) { self.laneRow[i] = push({ kind: "lane", lane: i, h: LANE_H }); });
            }
            this.height = Math.max(y, 1);

            var axisRow = el("div", "axis-row"), corner = el("div", "corner", "time since the run began");
            this.axis = el("canvas", "axis");
            var axisBox = el("div", "canvas-box");
            axisBox.appendChild(this.axis);
            axisRow.appendChild(corner);
            axisRow.appendChild(axisBox);
            var rowsBox = el("div", "rows"), labels = el("div", "labels");
            this.box = el("div", "canvas-box");
            this.canvas = el("canvas", "main");
            this.box.appendChild(this.canvas);
            this.rows.forEach(function (row) {
              var div = el("div", "row " + row.kind);
              div.style.height = row.h + "px";
              div.style.lineHeight = row.h + "px";
              if (row.kind === "lane") {
                var l = d.lanes[row.lane];
                div.textContent = l.short;
                if (l.pid != null) div.appendChild(el("span", "pid", "pid " + l.pid));
                div.style.paddingLeft = 6 + 12 * (l.depth || 0) + "px";
                if (l.failure) div.classList.add("failed");
                div.title = l.label + (l.pid != null ? ", pid " + l.pid : "") + "\n" + l.outcome;
                div.setAttribute("data-lane", l.name);
                div.setAttribute("data-operations", String(self.laneOps[row.lane].length));
              } else {
                div.textContent = row.text;
              }
              labels.appendChild(div);
            });
            rowsBox.appendChild(labels);
            rowsBox.appendChild(this.box);
            this.root.appendChild(axisRow);
            this.root.appendChild(rowsBox);
            // The self-test reads the canvas back after each drawing: say so, or the browser warns.
            this.ctx = this.canvas.getContext("2d", { willReadFrequently: selftest });
            this.axisCtx = this.axis.getContext("2d");
          };

          Timeline.prototype.resize = function () {
            var w = Math.max(200, Math.floor(this.box.clientWidth));
            this.w = w;
            this.canvas.width = Math.round(w * dpr);
            this.canvas.height = Math.round(this.height * dpr);
            this.canvas.style.width = w + "px";
            this.canvas.style.height = this.height + "px";
            this.axis.width = Math.round(w * dpr);
            this.axis.height = Math.round(AXIS_H * dpr);
            this.axis.style.width = w + "px";
            this.axis.style.height = AXIS_H + "px";
            this.draw();
          };

          Timeline.prototype.fit = function () {
            var span = Math.max(this.d.duration, 1000);
            this.t0 = -span * 0.01;
            this.t1 = span * 1.01;
          };

          Timeline.prototype.zoomTo = function (from, to) {
            var span = Math.max(to - from, 1000), pad = span * 0.08;
            this.t0 = from - pad;
            this.t1 = to + pad;
            this.draw();
          };

          Timeline.prototype.zoom = function (factor, atX) {
            var t = this.t0 + (atX / this.w) * (this.t1 - this.t0);
            var span = Math.max((this.t1 - this.t0) * factor, 100);
            var left = (t - this.t0) / (this.t1 - this.t0);
            this.t0 = t - left * span;
            this.t1 = this.t0 + span;
            this.draw();
          };

          Timeline.prototype.pan = function (dx) {
            var shift = (dx / this.w) * (this.t1 - this.t0);
            this.t0 -= shift;
            this.t1 -= shift;
            this.draw();
          };

          Timeline.prototype.x = function (t) { return (t - this.t0) * this.w / (this.t1 - this.t0); };

          Timeline.prototype.ticks = function () {
            var span = this.t1 - this.t0, raw = span / Math.max(this.w / 110, 1);
            var p = Math.pow(10, Math.floor(Math.log10(raw))), step = p;
            [1, 2, 5, 10].some(function (m) { step = m * p; return step >= raw; });
            var list = [];
            for (var t = Math.ceil(this.t0 / step) * step; t <= this.t1 && list.length < 500; t += step) list.push(t);
            return { step: step, list: list };
          };

          Timeline.prototype.draw = function () {
            var d = this.d, ctx = this.ctx, w = this.w, h = this.height, self = this;
            ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
            ctx.clearRect(0, 0, w, h);
            var ticks = this.ticks();
            ctx.fillStyle = "#eef1f5";
            ticks.list.forEach(function (t) { ctx.fillRect(Math.round(self.x(t)), 0, 1, h); });
            this.rows.forEach(function (row, i) {
              if (row.kind === "group") { ctx.fillStyle = "#f5f7fa"; ctx.fillRect(0, row.y, w, row.h); }
              else if (row.kind === "lane" && i % 2 === 0) { ctx.fillStyle = "#fbfcfd"; ctx.fillRect(0, row.y, w, row.h); }
            });
            // Boots: a line where the machine came up again.
            ctx.fillStyle = "#b9a6de";
            d.boots.forEach(function (b, i) { if (i > 0) ctx.fillRect(Math.round(self.x(b.from)), 0, 1, h); });
            // The end of the run.
            ctx.fillStyle = "#9aa3b2";
            ctx.fillRect(Math.round(this.x(d.duration)), 0, 1, h);

            // Machine lane.
            var drawnSpans = 0;
            if (this.machineRow) {
              ctx.font = "10px system-ui, sans-serif";
              d.machine.forEach(function (s) {
                var x0 = Math.floor(self.x(s.from)), x1 = Math.max(x0 + 1, Math.round(self.x(s.to)));
                if (x1 < 0 || x0 > w) return;
                var y = self.machineRow.y + 3 + s.row * MACHINE_ROW_H;
                ctx.fillStyle = s.row === 0 ? "#d9d0ee" : (MACHINE_COLORS[s.name] || "#999999");
                ctx.fillRect(x0, y, x1 - x0, MACHINE_ROW_H - 2);
                drawnSpans++;
                var cx0 = Math.max(x0, 0), cw = Math.min(x1, w) - cx0;
                if (cw > 50) {
                  ctx.fillStyle = s.row === 0 ? "#3b2f63" : "#ffffff";
                  ctx.save(); ctx.beginPath(); ctx.rect(cx0, y, cw, MACHINE_ROW_H - 2); ctx.clip();
                  ctx.fillText(s.name, cx0 + 3, y + MACHINE_ROW_H - 4);
                  ctx.restore();
                }
              });
            }

            // Process lifetimes and start-up.
            d.lanes.forEach(function (l, i) {
              if (l.from == null) return;
              var row = self.laneRow[i], x0 = Math.floor(self.x(l.from)), x1 = Math.max(x0 + 1, Math.round(self.x(l.to)));
              if (x1 < 0 || x0 > w) return;
              ctx.fillStyle = "#e6eaf0";
              ctx.fillRect(x0, row.y + 2, x1 - x0, row.h - 4);
              if (l.hello != null) {
                var xh = Math.round(self.x(l.hello));
                ctx.fillStyle = "#cfd6e0";
                ctx.fillRect(x0, row.y + 2, Math.max(xh - x0, 0), row.h - 4);
              }
            });

            // Highlights first, so that the bar stays visible inside its frame.
            var marked = this.highlighted(), markedDrawn = 0;
            ctx.fillStyle = MARK;
            for (var key in marked) {
              var i = +key, r = this.laneRow[this.lane[i]];
              if (!r) continue;
              var mx0 = Math.floor(this.x(this.from[i])), mx1 = Math.max(mx0 + 1, Math.round(this.x(this.to[i])));
              if (mx1 < 0 || mx0 > w) continue;
              ctx.fillRect(mx0 - 3, r.y, mx1 - mx0 + 6, r.h);
              markedDrawn++;
            }

            // Operations, one path per colour.
            var drawn = 0, drawnBy = {};
            for (var k = 0; k < this.byOutcome.length; k++) {
              var list = this.byOutcome[k], idle = this.idle[k], count = 0;
              ctx.beginPath();
              for (var j = 0; j < list.length; j++) {
                var o = list[j], row2 = this.laneRow[this.lane[o]];
                var x0 = Math.floor(this.x(this.from[o])), x1 = Math.max(x0 + 1, Math.round(this.x(this.to[o])));
                if (x1 < 0 || x0 > w) continue;
                // A pixel between bars wide enough to spare it, so that operations one after the other stay apart.
                var bw = x1 - x0 >= 4 ? x1 - x0 - 1 : x1 - x0;
                if (idle) ctx.rect(x0, row2.y + row2.h / 2 - 2, bw, 4); else ctx.rect(x0, row2.y + 4, bw, row2.h - 8);
                count++;
              }
              ctx.fillStyle = this.colors[k];
              ctx.fill();
              drawn += count;
              drawnBy[d.outcomes[k].name] = count;
            }

            // Names inside bars wide enough to hold them.
            ctx.font = "10px system-ui, sans-serif";
            ctx.fillStyle = "#ffffff";
            var named = 0;
            for (var m = 0; m < this.n && named < 400; m++) {
              if (this.idle[this.outcome[m]]) continue;
              var nx0 = this.x(this.from[m]), nx1 = this.x(this.to[m]);
              if (nx1 - nx0 < 46 || nx1 < 0 || nx0 > w) continue;
              var rr = this.laneRow[this.lane[m]], a = Math.max(nx0, 0), bw = Math.min(nx1, w) - a;
              if (bw < 46) continue;
              ctx.save(); ctx.beginPath(); ctx.rect(a, rr.y + 4, bw, rr.h - 8); ctx.clip();
              ctx.fillText(d.strings[d.ops.name[m]], a + 3, rr.y + rr.h / 2 + 4);
              ctx.restore();
              named++;
            }

            var arrows = 0;
            if (this.showArrows) arrows = this.drawArrows();
            this.drawAxis(ticks);
            this.rangeText.textContent = "showing " + fmt(this.t0) + " – " + fmt(this.t1);

            var s = this.status;
            s.setAttribute("data-lanes", String(d.lanes.length));
            s.setAttribute("data-operations", String(this.n));
            s.setAttribute("data-drawn", String(drawn));
            Object.keys(drawnBy).forEach(function (name) { s.setAttribute("data-drawn-" + name, String(drawnBy[name])); });
            s.setAttribute("data-highlighted", String(markedDrawn));
            s.setAttribute("data-arrows", String(arrows));
            s.setAttribute("data-machine-spans", String(drawnSpans));
            s.setAttribute("data-view", Math.round(this.t0) + " " + Math.round(this.t1));
            if (selftest) this.countPixels();
          };

          Timeline.prototype.rowCenter = function (lane) {
            if (lane < 0) return this.machineRow ? this.machineRow.y + 3 + MACHINE_ROW_H / 2 : 0;
            var r = this.laneRow[lane];
            return r.y + r.h / 2;
          };

          Timeline.prototype.drawArrows = function () {
            var ctx = this.ctx, w = this.w, self = this, count = 0;
            ctx.lineWidth = 1.3;
            this.d.arrows.forEach(function (a) {
              var x1 = self.x(a.fromNs), x2 = self.x(a.toNs), y1 = self.rowCenter(a.from), y2 = self.rowCenter(a.to);
              if ((x1 < 0 && x2 < 0) || (x1 > w && x2 > w)) return;
              var color = self.arrowColors[a.kind] || "#555555";
              ctx.strokeStyle = color;
              ctx.fillStyle = color;
              ctx.beginPath();
              ctx.arc(x1, y1, 2.2, 0, 2 * Math.PI);
              ctx.fill();
              ctx.beginPath();
              ctx.moveTo(x1, y1);
              ctx.lineTo(x2, y2);
              ctx.stroke();
              var angle = Math.atan2(y2 - y1, x2 - x1), s = 6;
              ctx.beginPath();
              ctx.moveTo(x2, y2);
              ctx.lineTo(x2 - s * Math.cos(angle - 0.45), y2 - s * Math.sin(angle - 0.45));
              ctx.lineTo(x2 - s * Math.cos(angle + 0.45), y2 - s * Math.sin(angle + 0.45));
              ctx.closePath();
              ctx.fill();
              count++;
            });
            return count;
          };

          Timeline.prototype.drawAxis = function (ticks) {
            var ctx = this.axisCtx, w = this.w, self = this;
            ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
            ctx.clearRect(0, 0, w, AXIS_H);
            ctx.fillStyle = "#9aa3b2";
            ctx.font = "11px system-ui, sans-serif";
            var unit = unitOf(Math.max(Math.abs(this.t0), Math.abs(this.t1)));
            ticks.list.forEach(function (t) {
              var x = Math.round(self.x(t));
              ctx.fillRect(x, AXIS_H - 7, 1, 7);
              ctx.fillText(tickLabel(t, ticks.step, unit), x + 3, AXIS_H - 10);
            });
          };

          Timeline.prototype.countPixels = function () {
            var want = {}, names = {};
            this.d.outcomes.forEach(function (o) { want[rgbKey(o.color)] = 0; names[rgbKey(o.color)] = o.name; });
            want[rgbKey(MARK)] = 0; names[rgbKey(MARK)] = "mark";
            var px = this.ctx.getImageData(0, 0, this.canvas.width, this.canvas.height).data;
            for (var i = 0; i < px.length; i += 4) {
              var key = (px[i] << 16) | (px[i + 1] << 8) | px[i + 2];
              if (key in want) want[key]++;
            }
            var s = this.status;
            Object.keys(want).forEach(function (key) { s.setAttribute("data-pixels-" + names[key], String(want[key])); });
          };

          Timeline.prototype.rowAt = function (y) {
            for (var i = 0; i < this.rows.length; i++) {
              var r = this.rows[i];
              if (y >= r.y && y < r.y + r.h) return r;
            }
            return null;
          };

          Timeline.prototype.describe = function (mx, my) {
            var d = this.d, row = this.rowAt(my), t = this.t0 + (mx / this.w) * (this.t1 - this.t0);
            var tolerance = 3 * (this.t1 - this.t0) / this.w;
            if (!row) return null;
            if (row.kind === "machine") {
              var band = Math.floor((my - row.y - 3) / MACHINE_ROW_H), found = null;
              d.machine.forEach(function (s) { if (s.row === band && t >= s.from - tolerance && t <= s.to + tolerance) found = s; });
              if (!found) return null;
              return found.step + ": " + found.name + "\n" + fmt(found.from) + " → " + fmt(found.to) + " (" + fmt(found.to - found.from) + ")";
            }
            if (row.kind !== "lane") return null;
            var lane = d.lanes[row.lane], best = -1, bestSpan = Infinity, list = this.laneOps[row.lane];
            for (var i = 0; i < list.length; i++) {
              var o = list[i];
              if (t >= this.from[o] - tolerance && t <= this.to[o] + tolerance && this.to[o] - this.from[o] < bestSpan) {
                best = o;
                bestSpan = this.to[o] - this.from[o];
              }
            }
            var who = lane.label + (lane.pid != null ? ", pid " + lane.pid : "");
            if (best < 0) {
              if (lane.from == null) return who + "\n" + lane.outcome;
              return who + "\nspawned " + fmt(lane.from) + (lane.hello != null ? ", hello " + fmt(lane.hello) : "") + ", ended " + fmt(lane.to) + "\n" + lane.outcome;
            }
            var args = d.strings[d.ops.args[best]];
            return d.strings[d.ops.name[best]] + " — " + who + "\n" + fmt(this.from[best]) + " → " + fmt(this.to[best]) + " (" + fmt(this.to[best] - this.from[best]) + ")" +
              (args ? "\n" + args : "") + "\n→ " + d.strings[d.ops.result[best]];
          };

          Timeline.prototype.bind = function () {
            var self = this, drag = null;
            function localX(e, canvas) { return e.clientX - canvas.getBoundingClientRect().left; }
            function wheel(e, always) {
              var canvas = e.currentTarget;
              if (always || e.ctrlKey || e.metaKey) {
                e.preventDefault();
                self.zoom(Math.exp(Math.max(-3, Math.min(3, e.deltaY * 0.002))), localX(e, canvas));
              } else if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
                e.preventDefault();
                self.pan(-(e.deltaX || e.deltaY));
              }
            }
            this.axis.addEventListener("wheel", function (e) { wheel(e, true); }, { passive: false });
            this.canvas.addEventListener("wheel", function (e) { wheel(e, false); }, { passive: false });
            [this.axis, this.canvas].forEach(function (canvas) {
              canvas.addEventListener("mousedown", function (e) { drag = { x: e.clientX }; e.preventDefault(); });
              canvas.addEventListener("dblclick", function (e) { self.zoom(0.5, localX(e, canvas)); });
            });
            window.addEventListener("mousemove", function (e) {
              if (!drag) return;
              self.pan(e.clientX - drag.x);
              drag.x = e.clientX;
            });
            window.addEventListener("mouseup", function () { drag = null; });
            this.canvas.addEventListener("mousemove", function (e) {
              if (drag) { tip.hidden = true; return; }
              var box = self.canvas.getBoundingClientRect(), text = self.describe(e.clientX - box.left, e.clientY - box.top);
              if (!text) { tip.hidden = true; return; }
              tip.textContent = text;
              tip.hidden = false;
              var left = Math.min(e.clientX + 14, window.innerWidth - tip.offsetWidth - 8);
              var top = e.clientY + 16 + tip.offsetHeight > window.innerHeight ? e.clientY - tip.offsetHeight - 10 : e.clientY + 16;
              tip.style.left = Math.max(left, 4) + "px";
              tip.style.top = Math.max(top, 4) + "px";
            });
            this.canvas.addEventListener("mouseleave", function () { tip.hidden = true; });
            this.section.querySelectorAll(".toolbar [data-action]").forEach(function (control) {
              var action = control.getAttribute("data-action");
              control.addEventListener(action === "arrows" ? "change" : "click", function () {
                if (action === "in") self.zoom(0.5, self.w / 2);
                if (action === "out") self.zoom(2, self.w / 2);
                if (action === "fit") { self.fit(); self.draw(); }
                if (action === "failure") self.zoomToMarked();
                if (action === "arrows") { self.showArrows = control.checked; self.draw(); }
              });
            });
            this.section.querySelectorAll("li.expectation").forEach(function (item) {
              var index = +item.getAttribute("data-index");
              if (item.getAttribute("data-verdict") === "pass") return;
              item.addEventListener("click", function (e) {
                if (e.target.closest("summary")) return;
                var focused = self.focus === index;
                self.section.querySelectorAll("li.expectation").forEach(function (other) { other.classList.remove("focused"); });
                self.focus = focused ? null : index;
                if (!focused) item.classList.add("focused");
                if (self.focus != null) self.zoomToMarked(); else self.draw();
              });
            });
            this.section.querySelectorAll("li[data-op]").forEach(function (item) {
              item.addEventListener("click", function (e) {
                e.stopPropagation();
                var o = +item.getAttribute("data-op");
                var span = Math.max(self.to[o] - self.from[o], (self.d.duration || 1000) / 200);
                self.zoomTo(self.from[o] - span * 4, self.to[o] + span * 4);
              });
            });
            window.addEventListener("resize", function () { self.resize(); });
            if (document.querySelectorAll("section.run").length === 1) {
              document.addEventListener("keydown", function (e) {
                if (e.target && /INPUT|TEXTAREA/.test(e.target.tagName)) return;
                if (e.key === "+" || e.key === "=") self.zoom(0.5, self.w / 2);
                if (e.key === "-") self.zoom(2, self.w / 2);
                if (e.key === "0") { self.fit(); self.draw(); }
              });
            }
          };

          // The page's own controls, driven as a user would (#selftest): the wheel zooms, a drag
          // pans, the Fit button fits, a hover describes; what worked goes into the status.
          Timeline.prototype.exercise = function () {
            var self = this, box = this.canvas.getBoundingClientRect(), s = this.status, described = 0, lanesWithOps = 0;
            this.d.lanes.forEach(function (l, i) {
              var list = self.laneOps[i];
              if (!list.length || !self.laneRow[i]) return;
              lanesWithOps++;
              var o = list[0];
              if (self.describe(self.x((self.from[o] + self.to[o]) / 2), self.rowCenter(i))) described++;
            });
            var span = this.t1 - this.t0;
            this.canvas.dispatchEvent(new WheelEvent("wheel", { deltaY: -300, ctrlKey: true, clientX: box.left + this.w / 2, clientY: box.top + 4, bubbles: true, cancelable: true }));
            var zoomed = this.t1 - this.t0 < span;
            var start = this.t0;
            this.canvas.dispatchEvent(new MouseEvent("mousedown", { clientX: box.left + 100, clientY: box.top + 4, bubbles: true }));
            window.dispatchEvent(new MouseEvent("mousemove", { clientX: box.left + 160, clientY: box.top + 4 }));
            window.dispatchEvent(new MouseEvent("mouseup", {}));
            var panned = this.t0 < start;
            this.section.querySelector('.toolbar [data-action="fit"]').click();
            var fitted = Math.abs(this.t1 - this.t0 - span) < 1;
            var hovered = false, first = this.n > 0 ? 0 : -1;
            if (first >= 0) {
              var row = this.laneRow[this.lane[first]], x = this.x((this.from[first] + this.to[first]) / 2);
              this.canvas.dispatchEvent(new MouseEvent("mousemove", { clientX: box.left + x, clientY: box.top + row.y + row.h / 2, bubbles: true }));
              hovered = !tip.hidden && tip.textContent.length > 0;
              this.canvas.dispatchEvent(new MouseEvent("mouseleave", {}));
            }
            s.setAttribute("data-described", described + " of " + lanesWithOps);
            s.setAttribute("data-exercise", "zoom=" + zoomed + " pan=" + panned + " fit=" + fitted + " hover=" + hovered);
          };

          Timeline.prototype.zoomToMarked = function () {
            var marked = this.highlighted(), lo = Infinity, hi = -Infinity;
            for (var key in marked) { lo = Math.min(lo, this.from[+key]); hi = Math.max(hi, this.to[+key]); }
            if (lo === Infinity) { this.fit(); this.draw(); } else this.zoomTo(lo, hi);
          };

          var sections = document.querySelectorAll("section.run");
          for (var i = 0; i < sections.length; i++) {
            try { new Timeline(sections[i]); } catch (e) { window.__recordError("error: " + (e && e.stack ? e.stack : e)); }
          }
          document.body.setAttribute("data-rendered", "true");
          // Milliseconds from the start of the page's loading to this point: what the page costs.
          document.body.setAttribute("data-render-ms", performance.now().toFixed(0));
        })();
        """#
}
