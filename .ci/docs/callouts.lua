-- Quarto callouts (::: {.callout-tip collapse="true"} ... :::) as HTML: a titled box, collapsed ones as <details>.
local kinds = {['callout-note']='Note', ['callout-tip']='Tip', ['callout-warning']='Warning',
               ['callout-important']='Important', ['callout-caution']='Caution'}
function Div(el)
  for _, cls in ipairs(el.classes) do
    local label = kinds[cls]
    if label then
      local title = el.attributes['title'] or label
      local blocks = el.content
      if #blocks > 0 and blocks[1].t == 'Header' then
        title = pandoc.utils.stringify(blocks[1]); blocks = {table.unpack(blocks, 2)}
      end
      local collapse = el.attributes['collapse'] == 'true'
      local open = collapse and '<details class="callout ' .. cls .. '"><summary>' or '<div class="callout ' .. cls .. '"><div class="callout-title">'
      local mid = collapse and '</summary><div class="callout-body">' or '</div><div class="callout-body">'
      local close = collapse and '</div></details>' or '</div></div>'
      local out = {pandoc.RawBlock('html', open .. pandoc.utils.stringify(pandoc.Str(title)):gsub('&', '&amp;'):gsub('<', '&lt;') .. mid)}
      for _, b in ipairs(blocks) do table.insert(out, b) end
      table.insert(out, pandoc.RawBlock('html', close))
      return out
    end
  end
end
