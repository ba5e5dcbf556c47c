picket-bundle 1
{"format":1,"origin":"LUX1","to":null,"created":1795435308,"events":5,"classification":"SECRET","from":0,"upto":5,"key":"/eLrkPvNW5dRWmScvVNKPDSk3Lvh4Kk640X5XVo5EAM="}
{"uuid":"01a20842-cc8e-72b9-a75c-cc40f2e0fedc","entity":"ticket","entity_uuid":"01a20842-cc8d-7352-b58a-af7b795a29dd","op":"create","value":{"ref":"LUX1-1","type":"incident","title":"Hello","description":"","status":"new","priority":3,"impact":3,"urgency":3,"classification":"UNCLASSIFIED","created_at":1795434925},"hlc":117665623257776128,"origin":"LUX1","actor":"alice","at":1795434925}
