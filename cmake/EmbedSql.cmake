# Turns each sql/*.sql file into a C string constant in generated/tlsp_sql.h,
# so the DDL the plugin runs is the same text DBAs read in sql/.
# Name: tlsp_sql_<file stem with - replaced by _>.
function(tlsp_embed_sql out_header)
  file(GLOB sql_files CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/sql/*.sql)
  set(content "/* generated from the sql directory by cmake/EmbedSql.cmake; do not edit */\n#pragma once\n")
  foreach(f ${sql_files})
    get_filename_component(stem ${f} NAME_WE)
    string(REPLACE "-" "_" stem ${stem})
    file(READ ${f} text)
    string(REPLACE "\\" "\\\\" text "${text}")
    string(REPLACE "\"" "\\\"" text "${text}")
    string(REPLACE "\n" "\\n\"\n\"" text "${text}")
    string(APPEND content "static const char tlsp_sql_${stem}[] =\n\"${text}\";\n")
  endforeach()
  file(WRITE ${out_header}.tmp "${content}")
  configure_file(${out_header}.tmp ${out_header} COPYONLY)
endfunction()
