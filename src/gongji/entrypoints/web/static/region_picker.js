/* Cascading region picker (issue 17): when a level changes, empty the levels below it and fill
   the next one from /api/regions?parent=<code>. No library; without it the selects still post. */
(function () {
  "use strict";
  if (window.gongjiRegionPicker) return; // the macro may include this script more than once
  window.gongjiRegionPicker = true;
  function fill(select, items) {
    while (select.options.length > 1) select.remove(1);
    items.forEach(function (it) {
      var o = document.createElement("option");
      o.value = it.code;
      o.textContent = it.name;
      select.appendChild(o);
    });
    select.disabled = items.length === 0;
  }
  function setup(box) {
    var selects = Array.prototype.slice.call(box.querySelectorAll("select[data-level]"));
    selects.forEach(function (sel, i) {
      sel.addEventListener("change", function () {
        for (var j = i + 1; j < selects.length; j++) fill(selects[j], []);
        var next = selects[i + 1];
        if (!next || !sel.value) return;
        box.setAttribute("aria-busy", "true");
        fetch("/api/regions?parent=" + encodeURIComponent(sel.value), { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : { items: [] }; })
          .then(function (data) { fill(next, data.items || []); })
          .catch(function () { fill(next, []); })
          .then(function () { box.removeAttribute("aria-busy"); });
      });
    });
  }
  document.querySelectorAll("[data-region-picker]").forEach(setup);
})();
