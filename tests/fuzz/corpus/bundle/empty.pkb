picket-bundle 1
{"format":1,"origin":"LUX1","to":"GVA2","created":1,"events":0,"classification":"UNCLASSIFIED","from":0,"upto":0,"key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}
