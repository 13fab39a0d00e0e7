/* Evidence from a phone: a photo is shrunk in the browser before it is sent (canvas → JPEG,
   long edge data-long-edge px, quality data-quality), so a 4 MB camera picture leaves as a few
   hundred KB over a weak line. PDFs and small pictures go as they are. Without this script the
   form still sends the original file; the server checks the type either way. */
(function () {
  "use strict";

  function kb(bytes) {
    return bytes >= 1048576 ? (bytes / 1048576).toFixed(1) + " MB" : Math.round(bytes / 1024) + " KB";
  }

  function decode(file) {
    if (window.createImageBitmap) {
      return createImageBitmap(file, { imageOrientation: "from-image" }).catch(function () {
        return createImageBitmap(file);
      });
    }
    return new Promise(function (resolve, reject) {
      var img = new Image();
      img.onload = function () { resolve(img); };
      img.onerror = reject;
      img.src = URL.createObjectURL(file);
    });
  }

  function shrink(file, longEdge, quality) {
    return decode(file).then(function (picture) {
      var w = picture.width, h = picture.height;
      var scale = Math.min(1, longEdge / Math.max(w, h));
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(w * scale));
      canvas.height = Math.max(1, Math.round(h * scale));
      var ctx = canvas.getContext("2d");
      ctx.fillStyle = "#fff"; // a transparent PNG on white, as the thumbnail shows it
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.drawImage(picture, 0, 0, canvas.width, canvas.height);
      if (picture.close) picture.close();
      return new Promise(function (resolve, reject) {
        canvas.toBlob(function (blob) { blob ? resolve(blob) : reject(new Error("toBlob")); }, "image/jpeg", quality);
      });
    });
  }

  function jpegName(name) {
    var base = (name || "photo").replace(/\.[^.]*$/, "");
    return base + ".jpg";
  }

  function setup(form) {
    var inputs = form.querySelectorAll("input[type=file]");
    var preview = form.querySelector(".preview");
    var button = form.querySelector("button");
    var longEdge = Number(form.dataset.longEdge) || 1600;
    var quality = Number(form.dataset.quality) || 0.8;
    var ready = null; // {input, file}: the picture to send instead of the original

    function say(text) { preview.hidden = !text; preview.textContent = text || ""; }

    Array.prototype.forEach.call(inputs, function (input) {
      input.addEventListener("change", function () {
        Array.prototype.forEach.call(inputs, function (other) { if (other !== input) other.value = ""; });
        ready = null;
        var file = input.files && input.files[0];
        if (!file || !/^image\//.test(file.type)) { say(file ? file.name + " · " + kb(file.size) : ""); return; }
        button.disabled = true;
        say(form.dataset.busy);
        shrink(file, longEdge, quality).then(function (blob) {
          var small = blob.size < file.size || !/^image\/(jpeg|png)$/.test(file.type);
          var chosen = small ? new File([blob], jpegName(file.name), { type: "image/jpeg" }) : file;
          ready = { input: input, file: chosen };
          try { // the form's own submission then carries the small file (works without fetch)
            var list = new DataTransfer();
            list.items.add(chosen);
            input.files = list.files;
            ready = null;
          } catch (e) { /* older browsers: sent by fetch below */ }
          say(form.dataset.ready.replace("%(size)s", kb(chosen.size)).replace("%(original)s", kb(file.size)));
        }).catch(function () {
          say(form.dataset.failed);
        }).then(function () { button.disabled = false; });
      });
    });

    form.addEventListener("submit", function (event) {
      if (!ready || !window.fetch || !window.FormData) return;
      event.preventDefault();
      var data = new FormData(form);
      data.delete("file");
      data.append("file", ready.file, ready.file.name);
      button.disabled = true;
      fetch(form.action, { method: "POST", body: data, credentials: "same-origin" }).then(function (answer) {
        return answer.text().then(function (html) {
          if (answer.redirected) { window.location.href = answer.url; return; }
          document.open(); document.write(html); document.close();
        });
      }).catch(function () { button.disabled = false; });
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("form.upload"), setup);
})();
