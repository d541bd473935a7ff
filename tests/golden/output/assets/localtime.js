/* Progressive enhancement for the meetings tables: next to each meeting time, add the
   time in the reader's own zone when it differs from the zone shown. The page is
   complete without this script. */
(function () {
  "use strict";
  if (!window.Intl || !document.querySelectorAll) return;
  var clock = new Intl.DateTimeFormat(undefined, {
    hour: "2-digit", minute: "2-digit", timeZoneName: "short"
  });
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
      (localDate === iso.slice(0, 10) ? "" : day.format(when) + ", ") + clock.format(when);
    times[i].parentNode.insertBefore(note, times[i].nextSibling);
  }
})();
