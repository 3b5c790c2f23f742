// Progressive enhancement only: every page works without it.
//
// Wall-clock preview: a form with data-site-zone="Area/City" and a radio group name="zone"
// shows, under each datetime-local input with data-preview, the instant it stands for in UTC
// and on the site's clock, with the offset of that date, before anything is submitted. The
// server converts again and has the final word (it also refuses times a clock change skips
// or repeats).
(function () {
  "use strict";
  if (!window.Intl) return;

  function parts(zone, millis) {
    const format = new Intl.DateTimeFormat("en-GB", {
      timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", timeZoneName: "short",
    });
    const out = {};
    for (const part of format.formatToParts(new Date(millis))) out[part.type] = part.value;
    return out;
  }

  function wall(zone, millis) {
    const p = parts(zone, millis);
    return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
  }

  function offsetMillis(zone, millis) {
    const p = parts(zone, millis);
    return Date.UTC(+p.year, p.month - 1, +p.day, +p.hour, +p.minute) - Math.floor(millis / 60000) * 60000;
  }

  function toUtc(text, zone) {
    const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})/.exec(text);
    if (!m) return null;
    const asUtc = Date.UTC(+m[1], m[2] - 1, +m[3], +m[4], +m[5]);
    let utc = asUtc - offsetMillis(zone, asUtc);
    utc = asUtc - offsetMillis(zone, utc);
    return wall(zone, utc) === `${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}` ? utc : NaN;
  }

  for (const form of document.querySelectorAll("form[data-site-zone]")) {
    const siteZone = form.dataset.siteZone;
    const inputs = form.querySelectorAll("input[type=datetime-local][data-preview]");
    const update = () => {
      const chosen = form.querySelector("input[name=zone]:checked");
      const zone = chosen ? chosen.value : "UTC";
      for (const input of inputs) {
        const output = document.getElementById(input.dataset.preview);
        const utc = toUtc(input.value, zone);
        if (utc === null) {
          output.textContent = "";
        } else if (Number.isNaN(utc)) {
          output.textContent = `This time does not exist in ${zone} (the clocks go forward).`;
        } else {
          const site = siteZone === "UTC" ? "" : ` · ${wall(siteZone, utc)} ${parts(siteZone, utc).timeZoneName} at the site`;
          output.textContent = `= ${wall("UTC", utc)} UTC${site}`;
        }
      }
    };
    form.addEventListener("input", update);
    form.addEventListener("change", update);
    update();
  }
})();
