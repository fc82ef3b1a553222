(function () {
  "use strict";
  var svg = document.getElementById("map"), tip = document.getElementById("tooltip");
  var SEL = ".pickup,.run,.hub";
  var printBtn = document.getElementById("print-sheets");
  if (printBtn) printBtn.addEventListener("click", function () {
    document.body.classList.add("sheets-only"); window.print();
  });
  window.addEventListener("afterprint", function () { document.body.classList.remove("sheets-only"); });
  if (!svg) return;
  var vb = svg.viewBox.baseVal, home = [vb.x, vb.y, vb.width, vb.height], drag = null;
  var detailed = false;
  function setView(a) {
    vb.x = a[0]; vb.y = a[1]; vb.width = a[2]; vb.height = a[3];
    // Markers shrink in map units as you zoom in, so on screen they grow only by sqrt(zoom).
    svg.style.setProperty("--s", Math.sqrt(vb.width / home[2]).toFixed(4));
    if (!detailed && vb.width < home[2] / 1.25) showDetail();
  }
  function showDetail() {
    // Run paths open simplified to under a pixel of the whole map, which draws in half
    // the time; zoomed in, that would show, so the full geometry replaces it once.
    detailed = true;
    Array.prototype.forEach.call(svg.querySelectorAll("path[data-d]"), function (p) {
      p.setAttribute("d", p.getAttribute("data-d")); p.removeAttribute("data-d");
    });
  }
  function toMap(e) {
    var p = svg.createSVGPoint(); p.x = e.clientX; p.y = e.clientY;
    return p.matrixTransform(svg.getScreenCTM().inverse());
  }
  svg.addEventListener("wheel", function (e) {
    e.preventDefault();
    var f = Math.pow(1.0015, Math.max(-300, Math.min(300, e.deltaY))), w = vb.width * f;
    if (w < home[2] / 300 || w > home[2] * 3) return;
    var p = toMap(e);
    setView([p.x - (p.x - vb.x) * f, p.y - (p.y - vb.y) * f, w, vb.height * f]);
  }, { passive: false });
  svg.addEventListener("pointerdown", function (e) {
    var k = Math.max(vb.width / svg.clientWidth, vb.height / svg.clientHeight);
    drag = { x: e.clientX, y: e.clientY, vx: vb.x, vy: vb.y, k: k, moved: false };
  });
  svg.addEventListener("pointermove", function (e) {
    if (!drag) return;
    var dx = e.clientX - drag.x, dy = e.clientY - drag.y;
    if (!drag.moved && dx * dx + dy * dy < 9) return;
    if (!drag.moved) { drag.moved = true; svg.setPointerCapture(e.pointerId); svg.classList.add("dragging"); hide(); }
    vb.x = drag.vx - dx * drag.k; vb.y = drag.vy - dy * drag.k;
  });
  function endDrag() { drag = null; svg.classList.remove("dragging"); }
  svg.addEventListener("pointerup", endDrag);
  svg.addEventListener("pointercancel", endDrag);
  document.getElementById("reset-view").addEventListener("click", function () { setView(home); });
  Array.prototype.forEach.call(document.querySelectorAll("[data-layer]"), function (box) {
    box.addEventListener("change", function () { svg.classList.toggle("hide-" + box.dataset.layer, !box.checked); });
  });

  function line(parent, label, value) {
    if (value === undefined || value === "") return;
    var d = document.createElement("div"), s = document.createElement("span");
    s.className = "l"; s.textContent = label + " ";
    d.appendChild(s); d.appendChild(document.createTextNode(value)); parent.appendChild(d);
  }
  function fill(el) {
    var d = el.dataset, b = document.createElement("b");
    tip.replaceChildren(b);
    if (el.classList.contains("run")) {
      b.textContent = d.vehicle + " · run " + d.run;
      line(tip, "Time", d.time); line(tip, "Stops", d.stops); line(tip, "Parcels", d.parcels);
      line(tip, "Distance", d.km + " km"); line(tip, "Cost", "RMB " + d.rmb);
      line(tip, "RMB/parcel", d.rpp);
    } else if (el.classList.contains("hub")) {
      b.textContent = "Hub " + d.hub;
    } else {
      b.textContent = d.village;
      line(tip, "Pickup", d.pickupId);
      if (el.classList.contains("unassigned")) {
        line(tip, "Not collected:", d.reason); line(tip, "", d.detail);
      } else {
        line(tip, "Parcels", d.parcels + (d.drop && d.drop !== "0" ? " (+" + d.drop + " to drop)" : ""));
        line(tip, "Arrival", d.arrival); line(tip, "RMB/parcel", d.rpp);
        line(tip, "Run", d.vehicle + " · run " + d.run);
      }
    }
  }
  function place(e) {
    var x = e.clientX + 14, y = e.clientY + 14, w = tip.offsetWidth, h = tip.offsetHeight;
    if (x + w > window.innerWidth - 4) x = e.clientX - w - 14;
    if (y + h > window.innerHeight - 4) y = e.clientY - h - 14;
    tip.style.left = x + "px"; tip.style.top = y + "px";
  }
  function hide() { tip.hidden = true; focus(null); }
  function focus(el) {
    var on = document.querySelectorAll(".hl");
    Array.prototype.forEach.call(on, function (n) { n.classList.remove("hl"); });
    if (!el) { svg.classList.remove("focus"); chartFocus(false); return; }
    var q = '[data-vehicle="' + CSS.escape(el.dataset.vehicle) + '"][data-run="' + el.dataset.run + '"]';
    Array.prototype.forEach.call(document.querySelectorAll(".run" + q + ",circle.pickup" + q + ",.load" + q),
      function (n) { n.classList.add("hl"); });
    svg.classList.add("focus"); chartFocus(true);
  }
  function chartFocus(on) { var c = document.getElementById("load-chart"); if (c) c.classList.toggle("focus", on); }
  svg.addEventListener("mouseover", function (e) {
    var el = e.target.closest ? e.target.closest(SEL) : null;
    if (!el || (drag && drag.moved)) return;
    fill(el); tip.hidden = false; place(e);
    if (el.classList.contains("run")) focus(el);
  });
  svg.addEventListener("mousemove", function (e) { if (!tip.hidden) place(e); });
  svg.addEventListener("mouseout", function (e) {
    var to = e.relatedTarget && e.relatedTarget.closest ? e.relatedTarget.closest(SEL) : null;
    if (!to) hide();
  });
  Array.prototype.forEach.call(document.querySelectorAll("tr[data-vehicle]"), function (tr) {
    tr.addEventListener("mouseenter", function () { focus(tr); });
    tr.addEventListener("mouseleave", function () { focus(null); });
  });
})();
