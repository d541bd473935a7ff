/* Progressive enhancement for the meetings tables: next to each meeting time, add the
   time in the reader's own zone when it differs from the zone shown. The page is
   complete without this script. */
(function () {
  "use strict";
  if (!window.Intl || !document.querySelectorAll) return;
  /* The site's own style, "15:00 (CET)": a 24-hour clock whatever the reader's locale. */
  var clock = new Intl.DateTimeFormat(undefined, {
    hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "short"
  });
  function time(when) {
    if (!clock.formatToParts) return clock.format(when);
    var parts = clock.formatToParts(when), value = {};
    for (var j = 0; j < parts.length; j++) value[parts[j].type] = parts[j].value;
    return value.hour + ":" + value.minute + (value.timeZoneName ? " (" + value.timeZoneName + ")" : "");
  }
  var day = new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short" });
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  var times = document.querySelectorAll(".meetings time[datetime]");
  for (var i = 0; i < times.length; i++) {
    var iso = times[i].getAttribute("datetime");
    var offset = /([+-])(\d\d):(\d\d)$/.exec(iso);
    var when = new Date(iso);
    if (!offset || isNaN(when.getTime())) continue;
    var shown = (offset[1] === "-" ? -1 : 1) * (60 * Number(offset[2]) + Number(offset[3]));
    if (-when.getTimezoneOffset() === shown) continue;
    var localDate = when.getFullYear() + "-" + pad(when.getMonth() + 1) + "-" + pad(when.getDate());
    var note = document.createElement("span");
    note.className = "your-time";
    note.textContent = "your time: " +
      (localDate === iso.slice(0, 10) ? "" : day.format(when) + ", ") + time(when);
    times[i].parentNode.insertBefore(note, times[i].nextSibling);
  }
})();
