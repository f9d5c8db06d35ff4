"""The NHSA 两定 interface (定点医药机构接口): gateway authentication and the transaction field spec."""
