# nicc-synth asic flow, OpenSTA part. Placeholders: {{LIBERTY}} {{TOP}} {{CLOCK_SETUP}} {{REPORT}}
read_liberty {{LIBERTY}}
read_verilog mapped.v
link_design {{TOP}}
{{CLOCK_SETUP}}
puts "NICC_BEGIN_REPORT"
{{REPORT}}
puts "NICC_END_REPORT"
exit
